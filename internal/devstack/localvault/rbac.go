package localvault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// Built-in Key Vault data-plane roles the local vault understands.
const (
	RoleSecretsUser    = "Key Vault Secrets User"    // read secret values and metadata
	RoleSecretsOfficer = "Key Vault Secrets Officer" // everything on secrets
	RoleAdministrator  = "Key Vault Administrator"   // everything
)

// roleFile holds the vault's role assignments in the data folder.
const roleFile = "role-assignments.json"

// RoleAssignment grants Role on the vault to the principal (object id).
type RoleAssignment struct {
	PrincipalID string `json:"principal_id"`
	Role        string `json:"role"`
}

// access is what an operation needs.
type access int

const (
	accessRead access = iota
	accessWrite
)

func (a access) satisfiedBy(role string) bool {
	switch role {
	case RoleAdministrator, RoleSecretsOfficer:
		return true
	case RoleSecretsUser:
		return a == accessRead
	}
	return false
}

// minimalRole names the least role that grants a.
func (a access) minimalRole() string {
	if a == accessRead {
		return RoleSecretsUser
	}
	return RoleSecretsOfficer
}

type roles struct {
	mu   sync.RWMutex
	path string
	list []RoleAssignment
}

func loadRoles(dir string) (*roles, error) {
	r := &roles{path: filepath.Join(dir, roleFile)}
	err := store.ReadJSON(r.path, &r.list)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read role assignments (fix or delete %s): %w", r.path, err)
	}
	return r, nil
}

func (r *roles) allowed(principal string, a access) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, ra := range r.list {
		if strings.EqualFold(ra.PrincipalID, principal) && a.satisfiedBy(ra.Role) {
			return true
		}
	}
	return false
}

func (r *roles) assign(ra RoleAssignment) error {
	switch ra.Role {
	case RoleSecretsUser, RoleSecretsOfficer, RoleAdministrator:
	default:
		return fmt.Errorf("role %q is not one of %q, %q, %q", ra.Role, RoleSecretsUser, RoleSecretsOfficer, RoleAdministrator)
	}
	if ra.PrincipalID == "" {
		return errors.New("principal_id (the identity's object id) is required")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.list {
		if strings.EqualFold(have.PrincipalID, ra.PrincipalID) && have.Role == ra.Role {
			return nil
		}
	}
	next := append(append([]RoleAssignment(nil), r.list...), ra)
	sort.Slice(next, func(i, j int) bool {
		if next[i].PrincipalID != next[j].PrincipalID {
			return next[i].PrincipalID < next[j].PrincipalID
		}
		return next[i].Role < next[j].Role
	})
	if err := store.WriteJSON(r.path, next); err != nil {
		return fmt.Errorf("store role assignments: %w", err)
	}
	r.list = next
	return nil
}

func (r *roles) remove(ra RoleAssignment) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var next []RoleAssignment
	for _, have := range r.list {
		if !(strings.EqualFold(have.PrincipalID, ra.PrincipalID) && have.Role == ra.Role) {
			next = append(next, have)
		}
	}
	if len(next) == len(r.list) {
		return false, nil
	}
	if next == nil {
		next = []RoleAssignment{}
	}
	if err := store.WriteJSON(r.path, next); err != nil {
		return false, fmt.Errorf("store role assignments: %w", err)
	}
	r.list = next
	return true, nil
}

func (r *roles) all() []RoleAssignment {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]RoleAssignment{}, r.list...)
}
