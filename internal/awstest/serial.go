package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// partitionKey is the hash key attribute of the tables the tests create;
// a request naming no item of such a table runs alone (see serializer).
const partitionKey = "pk"

// serializer orders the DynamoDB requests it forwards as DynamoDB's own
// item-level atomicity would allow: a request on one item (GetItem,
// PutItem, UpdateItem, DeleteItem) holds its partition's lock, so two such
// requests on one partition run one after the other; any other DynamoDB
// request (Query, BatchWriteItem, TransactWriteItems, table operations...)
// runs alone. Requests to other services (SQS, KMS) pass at once, so a
// long poll never holds anything up.
type serializer struct {
	forward http.Handler
	all     sync.RWMutex
	// partitions are the locks of single-item requests, by a hash of their
	// table and partition key: a collision only serializes more.
	partitions [64]sync.Mutex
}

// singleItem are the operations that read or write one item.
var singleItem = map[string]bool{"GetItem": true, "PutItem": true, "UpdateItem": true, "DeleteItem": true}

func (s *serializer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if !strings.HasPrefix(service, "DynamoDB") {
		s.forward.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if lock, ok := s.partition(op, body); ok {
		s.all.RLock()
		defer s.all.RUnlock()
		lock.Lock()
		defer lock.Unlock()
	} else {
		s.all.Lock()
		defer s.all.Unlock()
	}
	s.forward.ServeHTTP(w, r)
}

// partition returns the lock of the partition a single-item request
// names, and false for any other request.
func (s *serializer) partition(op string, body []byte) (*sync.Mutex, bool) {
	if !singleItem[op] {
		return nil, false
	}
	var in struct {
		TableName string
		Key, Item map[string]json.RawMessage
	}
	if json.Unmarshal(body, &in) != nil {
		return nil, false
	}
	pk, ok := in.Key[partitionKey]
	if !ok {
		pk, ok = in.Item[partitionKey]
	}
	if !ok {
		return nil, false
	}
	h := fnv.New32a()
	h.Write([]byte(in.TableName))
	h.Write([]byte{0})
	h.Write(pk)
	return &s.partitions[h.Sum32()%uint32(len(s.partitions))], true
}

// serialize starts, on a free loopback port, a proxy to the moto_server at
// motoURL that orders DynamoDB requests as serializer says, and returns
// its URL. The order it imposes is one DynamoDB allows: each request on an
// item is atomic, as there, while the tests' goroutines still interleave
// between requests, where races in the code under test lie.
func serialize(motoURL string) (string, error) {
	target, err := url.Parse(motoURL)
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for the moto_server proxy: %w", err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	forward.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil { // a caller that gave up (a long poll cut short) needs no word
			log.Printf("moto_server proxy: %s %s: %v", r.Method, r.Header.Get("X-Amz-Target"), err)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: &serializer{forward: forward}}
	go func() { _ = srv.Serve(l) }() // serves until the test binary exits
	return "http://" + l.Addr().String(), nil
}
