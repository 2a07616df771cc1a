package localjfrog

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
)

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// errNotFound and errConflict abort state updates with a known status.
var (
	errNotFound = errors.New("not found")
	errConflict = errors.New("conflict")
)

// readBody reads a bounded request body, answering 400 itself on failure.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Could not read the request body (at most 1 MiB of JSON)")
		return nil, false
	}
	return b, true
}

func (s *Server) handleCreateProvider(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	p, err := parseProvider(b)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid OIDC configuration: "+err.Error())
		return
	}
	err = s.access.update(func(a *accessState) error {
		if _, ok := a.Providers[p.Name]; ok {
			return errConflict
		}
		a.Providers[p.Name] = &p
		return nil
	})
	switch {
	case errors.Is(err, errConflict):
		writeError(w, r, http.StatusConflict, fmt.Sprintf("OIDC configuration '%s' already exists; update it with PUT /access/api/v1/oidc/%s", p.Name, p.Name))
	case err != nil:
		s.internalError(w, r, err)
	default:
		s.log.Info().Str("provider", p.Name).Str("issuer", p.IssuerURL).Msg("oidc provider created")
		writeJSON(w, http.StatusCreated, "application/json", p)
	}
}

func (s *Server) handleUpdateProvider(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	p, err := parseProvider(b)
	if err != nil || p.Name != r.PathValue("name") {
		msg := "the name in the body must match the name in the URL"
		if err != nil {
			msg = err.Error()
		}
		writeError(w, r, http.StatusBadRequest, "Invalid OIDC configuration: "+msg)
		return
	}
	err = s.access.update(func(a *accessState) error {
		if _, ok := a.Providers[p.Name]; !ok {
			return errNotFound
		}
		a.Providers[p.Name] = &p
		return nil
	})
	s.finishProviderWrite(w, r, p.Name, err, p)
}

func (s *Server) finishProviderWrite(w http.ResponseWriter, r *http.Request, name string, err error, body any) {
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("OIDC configuration '%s' not found; create it with POST /access/api/v1/oidc", name))
	case err != nil:
		s.internalError(w, r, err)
	case body == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, "application/json", body)
	}
}

func (s *Server) handleListProviders(w http.ResponseWriter, r *http.Request) {
	out := []provider{}
	s.access.view(func(a *accessState) {
		for _, p := range a.Providers {
			out = append(out, *p)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, "application/json", out)
}

// lookupProvider returns a copy of the named provider.
func (s *Server) lookupProvider(name string) (provider, bool) {
	var p provider
	var ok bool
	s.access.view(func(a *accessState) {
		if v, found := a.Providers[name]; found {
			p, ok = *v, true
		}
	})
	return p, ok
}

func (s *Server) handleGetProvider(w http.ResponseWriter, r *http.Request) {
	p, ok := s.lookupProvider(r.PathValue("name"))
	if !ok {
		s.finishProviderWrite(w, r, r.PathValue("name"), errNotFound, nil)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", p)
}

func (s *Server) handleDeleteProvider(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := s.access.update(func(a *accessState) error {
		if _, ok := a.Providers[name]; !ok {
			return errNotFound
		}
		delete(a.Providers, name)
		delete(a.Mappings, name)
		return nil
	})
	s.finishProviderWrite(w, r, name, err, nil)
}

func (s *Server) handleCreateMapping(w http.ResponseWriter, r *http.Request) {
	s.writeMapping(w, r, false)
}

func (s *Server) handleUpdateMapping(w http.ResponseWriter, r *http.Request) {
	s.writeMapping(w, r, true)
}

func (s *Server) writeMapping(w http.ResponseWriter, r *http.Request, update bool) {
	pname := r.PathValue("name")
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	m, err := parseMapping(b)
	if err == nil && update && m.Name != r.PathValue("mapping") {
		err = errors.New("the name in the body must match the name in the URL")
	}
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "Invalid identity mapping: "+err.Error())
		return
	}
	m.ProviderName = pname
	var missingProvider bool
	err = s.access.update(func(a *accessState) error {
		if _, ok := a.Providers[pname]; !ok {
			missingProvider = true
			return errNotFound
		}
		ms := a.Mappings[pname]
		if ms == nil {
			ms = map[string]*identityMapping{}
			a.Mappings[pname] = ms
		}
		_, exists := ms[m.Name]
		switch {
		case update && !exists:
			return errNotFound
		case !update && exists:
			return errConflict
		}
		ms[m.Name] = &m
		return nil
	})
	switch {
	case missingProvider:
		s.finishProviderWrite(w, r, pname, errNotFound, nil)
	case errors.Is(err, errNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Identity mapping '%s' not found for OIDC configuration '%s'", m.Name, pname))
	case errors.Is(err, errConflict):
		writeError(w, r, http.StatusConflict, fmt.Sprintf("Identity mapping '%s' already exists for OIDC configuration '%s'; update it with PUT", m.Name, pname))
	case err != nil:
		s.internalError(w, r, err)
	case update:
		writeJSON(w, http.StatusOK, "application/json", m)
	default:
		s.log.Info().Str("provider", pname).Str("mapping", m.Name).Str("username", m.TokenSpec.Username).Msg("identity mapping created")
		writeJSON(w, http.StatusCreated, "application/json", m)
	}
}

// mappingsOf returns copies of a provider's mappings, highest priority
// (lowest number) first, ties by name.
func (s *Server) mappingsOf(pname string) ([]identityMapping, bool) {
	var out []identityMapping
	var ok bool
	s.access.view(func(a *accessState) {
		if _, ok = a.Providers[pname]; !ok {
			return
		}
		for _, m := range a.Mappings[pname] {
			out = append(out, *m)
		}
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].Name < out[j].Name
	})
	return out, ok
}

func (s *Server) handleListMappings(w http.ResponseWriter, r *http.Request) {
	ms, ok := s.mappingsOf(r.PathValue("name"))
	if !ok {
		s.finishProviderWrite(w, r, r.PathValue("name"), errNotFound, nil)
		return
	}
	if ms == nil {
		ms = []identityMapping{}
	}
	writeJSON(w, http.StatusOK, "application/json", ms)
}

func (s *Server) handleGetMapping(w http.ResponseWriter, r *http.Request) {
	ms, ok := s.mappingsOf(r.PathValue("name"))
	if !ok {
		s.finishProviderWrite(w, r, r.PathValue("name"), errNotFound, nil)
		return
	}
	for _, m := range ms {
		if m.Name == r.PathValue("mapping") {
			writeJSON(w, http.StatusOK, "application/json", m)
			return
		}
	}
	writeError(w, r, http.StatusNotFound, fmt.Sprintf("Identity mapping '%s' not found for OIDC configuration '%s'", r.PathValue("mapping"), r.PathValue("name")))
}

func (s *Server) handleDeleteMapping(w http.ResponseWriter, r *http.Request) {
	pname, name := r.PathValue("name"), r.PathValue("mapping")
	err := s.access.update(func(a *accessState) error {
		if _, ok := a.Mappings[pname][name]; !ok {
			return errNotFound
		}
		delete(a.Mappings[pname], name)
		return nil
	})
	if errors.Is(err, errNotFound) {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("Identity mapping '%s' not found for OIDC configuration '%s'", name, pname))
		return
	}
	s.finishProviderWrite(w, r, pname, err, nil)
}
