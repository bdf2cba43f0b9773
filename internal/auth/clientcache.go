package auth

import (
	"context"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// ClientCacheTTL is how long a ClientCache trusts what it read. It bounds
// how long a revoked or rotated API client's tokens keep verifying in a
// process; on AWS, API Gateway's authorizer cache (ReauthorizeEvery in
// template.yaml, lambdafn.AuthorizerCacheTTL) would add its own, and is
// off.
const ClientCacheTTL = 5 * time.Second

// maxCachedClients bounds a ClientCache's memory: beyond it, expired
// entries are dropped, and if that is not enough, all of them.
const maxCachedClients = 10_000

// ClientCache is a ClientReader in front of another that remembers each
// answer, the client or that there is none, for a while: verifying a busy
// client's tokens then costs one store read per client every TTL, not one
// per request. Store errors other than ENOTFOUND are not remembered. It
// never holds secret hashes.
type ClientCache struct {
	reader ClientReader
	ttl    time.Duration
	clock  parley.Clock

	mu      sync.Mutex
	entries map[string]cachedClient
}

type cachedClient struct {
	client parley.APIClient
	err    error // nil, or the reader's ENOTFOUND
	at     time.Time
}

// NewClientCache returns a cache in front of r that trusts an answer for
// ttl, by clock.
func NewClientCache(r ClientReader, ttl time.Duration, clock parley.Clock) *ClientCache {
	return &ClientCache{reader: r, ttl: ttl, clock: clock, entries: map[string]cachedClient{}}
}

// Client implements ClientReader.
func (c *ClientCache) Client(ctx context.Context, id string) (parley.APIClient, error) {
	now := c.clock.Now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && c.fresh(e, now) {
		return e.client, e.err
	}
	cl, err := c.reader.Client(ctx, id)
	if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
		return parley.APIClient{}, err
	}
	cl.SecretHash = ""
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedClients {
		for k, e := range c.entries {
			if !c.fresh(e, now) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedClients {
			clear(c.entries)
		}
	}
	c.entries[id] = cachedClient{client: cl, err: err, at: now}
	return cl, err
}

// fresh reports whether e, read at e.at, is still to be trusted at now (a
// clock that went back trusts nothing).
func (c *ClientCache) fresh(e cachedClient, now time.Time) bool {
	return !now.Before(e.at) && now.Before(e.at.Add(c.ttl))
}
