package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
)

// SandboxOperators sets the state of simulated operators
// (*phonecampaign.Dialer is one): with the sandbox voice gateway, calls
// bridged to them talk and wrap up by themselves.
type SandboxOperators interface {
	SetState(ctx context.Context, accountID, agentID, group string, state dialer.OperatorState) (dialer.Agent, error)
}

// sandboxOperatorsPath is the route that sets simulated operators' state.
const sandboxOperatorsPath = "/sandbox/operators"

// maxSandboxOperators bounds the operators of one request.
const maxSandboxOperators = 100

// SandboxOperatorsRequest sets operators of a group online or offline.
type SandboxOperatorsRequest struct {
	AccountID string               `json:"accountId"`
	Group     string               `json:"group"`
	Operators []string             `json:"operators"`
	State     dialer.OperatorState `json:"state"`
}

// SandboxOperatorsResponse lists the operators as they are now.
type SandboxOperatorsResponse struct {
	Operators []SandboxOperator `json:"operators"`
}

// SandboxOperator is a simulated operator's state.
type SandboxOperator struct {
	ID    string               `json:"id"`
	Group string               `json:"group"`
	State dialer.OperatorState `json:"state"`
	// Leaving is set on an operator on a call who goes offline once it is
	// wrapped up.
	Leaving bool `json:"leaving,omitempty"`
}

// parseSandboxOperators reads and checks a SandboxOperatorsRequest body.
func parseSandboxOperators(data []byte) (SandboxOperatorsRequest, error) {
	var req SandboxOperatorsRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		return SandboxOperatorsRequest{}, err
	}
	switch {
	case len(req.Operators) == 0 || len(req.Operators) > maxSandboxOperators:
		return SandboxOperatorsRequest{}, parley.FieldErrorf("operators", "name 1 to %d operators", maxSandboxOperators)
	case req.State != dialer.Online && req.State != dialer.Offline:
		return SandboxOperatorsRequest{}, parley.FieldErrorf("state", "state %q is not online or offline", req.State)
	}
	for i, id := range req.Operators {
		if strings.TrimSpace(id) == "" || len(id) > 128 {
			return SandboxOperatorsRequest{}, parley.FieldErrorf(fmt.Sprintf("operators[%d]", i), "an operator id is 1 to 128 characters")
		}
	}
	return req, nil
}

// sandboxOperators sets simulated operators' state in the caller's account.
func (s *Server) sandboxOperators(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := parseSandboxOperators(data)
	if err == nil {
		req.AccountID, err = s.sandboxAccount(r, req.AccountID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := SandboxOperatorsResponse{Operators: []SandboxOperator{}}
	for _, id := range req.Operators {
		a, err := s.SandboxOperators.SetState(r.Context(), req.AccountID, id, req.Group, req.State)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resp.Operators = append(resp.Operators, SandboxOperator{ID: a.ID, Group: a.Group, State: a.State, Leaving: a.Leaving})
	}
	writeJSON(w, http.StatusOK, resp)
}
