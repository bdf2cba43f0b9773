package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
)

// appTokenPath is LivePerson's AppJWT route (Sentinel's), which its
// clients call for the token of the Proactive API.
const appTokenPath = "/sentinel/api/account/{accountId}/app/token"

// appToken is LivePerson's "Get AppJWT": the client credentials grant with
// v and grant_type in the query and client_id and client_secret in the
// form body or, as LivePerson also takes them, in the query. It answers
// the same Parley token as POST /oauth/token, for a client of the account
// in the path only.
func (s *Server) appToken(w http.ResponseWriter, r *http.Request) {
	limits, ok := s.tokenLimits(w, r)
	if !ok {
		return
	}
	params, err := appTokenParams(w, r)
	if err != nil {
		oauthError(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	switch {
	case params.Get("v") != "" && params.Get("v") != "1.0":
		oauthError(w, r, http.StatusBadRequest, "invalid_request", "v must be 1.0")
		return
	case params.Get("grant_type") == "":
		oauthError(w, r, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	case params.Get("grant_type") != "client_credentials":
		oauthError(w, r, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	s.issue(w, r, limits, params.Get("client_id"), params.Get("client_secret"), r.PathValue("accountId"))
}

// appTokenParams merges the query and the form body of an AppJWT request;
// a parameter given twice, in either or in both, is refused.
func appTokenParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errors.New("the query is not valid")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		data, err := readBody(r, w, maxTokenRequest)
		if err != nil {
			return nil, errors.New("the body is too large")
		}
		form, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, errors.New("the body is not a valid form")
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	for name, vs := range params {
		if len(vs) > 1 {
			return nil, errors.New(name + " is given more than once")
		}
	}
	return params, nil
}
