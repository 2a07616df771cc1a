package callerauth

import (
	"github.com/rs/zerolog"
)

// Caller is an authenticated caller: the claims of its verified token that
// identify and authorize it. It holds no part of the token itself.
type Caller struct {
	// ObjectID is oid: the calling service principal (or user).
	ObjectID string
	// AppID is the client id of the calling application: azp in v2
	// tokens, appid in v1 tokens.
	AppID string
	// TenantID is tid.
	TenantID string
	// Version is ver, "1.0" or "2.0".
	Version string
	// Roles are the app roles of the roles claim.
	Roles []string
}

// HasRole reports whether the caller holds the app role.
func (c Caller) HasRole(role string) bool {
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Log field names of a caller.
const (
	FieldCallerOID   = "caller_oid"
	FieldCallerAppID = "caller_appid"
	FieldCallerRoles = "caller_roles"
)

// MarshalZerologObject logs the caller's ids and roles.
func (c Caller) MarshalZerologObject(e *zerolog.Event) {
	e.Str(FieldCallerOID, c.ObjectID).Str(FieldCallerAppID, c.AppID).Strs(FieldCallerRoles, c.Roles)
}
