package localvault

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/entra"
)

// defaultPage and maxPage bound list pages (maxresults), as Key Vault does.
const (
	defaultPage = 25
	maxPage     = 25
)

func (v *Vault) setSecret(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	p, err := parseSet(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadParameter", "", err.Error())
		return
	}
	var attrs attributes
	if p.Attributes != nil {
		attrs = attributes{Enabled: p.Attributes.Enabled, NotBef: p.Attributes.NotBefore, Expires: p.Attributes.Expires}
	}
	name := r.PathValue("name")
	rec, err := v.store.set(name, *p.Value, p.ContentType, p.Tags, attrs)
	if errors.Is(err, errDeleted) {
		writeError(w, http.StatusConflict, "Conflict", "ObjectIsDeletedButRecoverable",
			fmt.Sprintf("Secret %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", name))
		return
	}
	if err != nil {
		v.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v.bundle(rec, true))
}

func (v *Vault) getSecret(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	name, version := r.PathValue("name"), r.PathValue("version")
	rec, err := v.store.get(name, version)
	if errors.Is(err, errNotFound) {
		v.notFound(w, name, version)
		return
	}
	if err != nil {
		v.internal(w, err)
		return
	}
	if rec.Attributes.Enabled != nil && !*rec.Attributes.Enabled {
		writeError(w, http.StatusForbidden, "Forbidden", "SecretDisabled", "Operation get is not allowed on a disabled secret.")
		return
	}
	writeJSON(w, http.StatusOK, v.bundle(rec, true))
}

func (v *Vault) updateSecret(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	p, err := parseUpdate(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadParameter", "", err.Error())
		return
	}
	name, version := r.PathValue("name"), r.PathValue("version")
	rec, err := v.store.update(name, version, func(rec *record) {
		if p.ContentType != nil {
			rec.ContentType = p.ContentType
		}
		if p.Tags != nil {
			rec.Tags = p.Tags
		}
		if a := p.Attributes; a != nil {
			if a.Enabled != nil {
				rec.Attributes.Enabled = a.Enabled
			}
			if a.NotBefore != nil {
				rec.Attributes.NotBef = a.NotBefore
			}
			if a.Expires != nil {
				rec.Attributes.Expires = a.Expires
			}
		}
	})
	if errors.Is(err, errNotFound) {
		v.notFound(w, name, version)
		return
	}
	if err != nil {
		v.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v.bundle(rec, false))
}

func (v *Vault) deleteSecret(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	name := r.PathValue("name")
	rec, d, err := v.store.remove(name, recoverableDays*24*time.Hour)
	if errors.Is(err, errNotFound) {
		v.notFound(w, name, "")
		return
	}
	if err != nil {
		v.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v.deletedBundle(rec, d))
}

// deletedFailed answers a failed operation on a deleted secret: 404 when
// the secret is not deleted, 500 otherwise. It reports whether it answered.
func (v *Vault) deletedFailed(w http.ResponseWriter, name string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errNotDel):
		writeError(w, http.StatusNotFound, "SecretNotFound", "", fmt.Sprintf("Deleted Secret not found: %s", name))
	default:
		v.internal(w, err)
	}
	return true
}

func (v *Vault) getDeleted(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	name := r.PathValue("name")
	rec, d, err := v.store.deleted(name)
	if v.deletedFailed(w, name, err) {
		return
	}
	writeJSON(w, http.StatusOK, v.deletedBundle(rec, d))
}

func (v *Vault) purgeDeleted(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	name := r.PathValue("name")
	err := v.store.purge(name)
	if v.deletedFailed(w, name, err) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (v *Vault) recoverDeleted(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	name := r.PathValue("name")
	rec, err := v.store.recover(name)
	if v.deletedFailed(w, name, err) {
		return
	}
	writeJSON(w, http.StatusOK, v.bundle(rec, false))
}

func (v *Vault) listVersions(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	name := r.PathValue("name")
	recs, err := v.store.versions(name)
	if errors.Is(err, errNotFound) {
		v.notFound(w, name, "")
		return
	}
	if err != nil {
		v.internal(w, err)
		return
	}
	v.writePage(w, r, recs, true)
}

func (v *Vault) listSecrets(w http.ResponseWriter, r *http.Request, _ entra.Claims) {
	recs, err := v.store.list()
	if err != nil {
		v.internal(w, err)
		return
	}
	v.writePage(w, r, recs, false)
}

// writePage answers one page of items; the opaque $skiptoken is the offset.
func (v *Vault) writePage(w http.ResponseWriter, r *http.Request, recs []record, withVersion bool) {
	q := r.URL.Query()
	size := defaultPage
	if s := q.Get("maxresults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			writeError(w, http.StatusBadRequest, "BadParameter", "", fmt.Sprintf("maxresults must be between 1 and %d.", maxPage))
			return
		}
		size = n
	}
	offset := 0
	if s := q.Get("$skiptoken"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "BadParameter", "", "The $skiptoken is not valid.")
			return
		}
		offset = min(n, len(recs))
	}
	end := min(offset+size, len(recs))
	out := listJSON{Value: []itemJSON{}}
	for _, rec := range recs[offset:end] {
		id := v.url + "/secrets/" + rec.Name
		if withVersion {
			id += "/" + rec.Version
		}
		out.Value = append(out.Value, itemJSON{ID: id, ContentType: rec.ContentType, Attributes: v.attrs(rec), Tags: rec.Tags})
	}
	if end < len(recs) {
		next := *r.URL
		nq := next.Query()
		nq.Set("$skiptoken", strconv.Itoa(end))
		nq.Set("maxresults", strconv.Itoa(size))
		next.RawQuery = nq.Encode()
		link := v.url + next.Path + "?" + next.RawQuery
		out.NextLink = &link
	}
	writeJSON(w, http.StatusOK, out)
}

func (v *Vault) bundle(rec record, withValue bool) bundleJSON {
	b := bundleJSON{
		ContentType: rec.ContentType,
		ID:          v.url + "/secrets/" + rec.Name + "/" + rec.Version,
		Attributes:  v.attrs(rec),
		Tags:        rec.Tags,
	}
	if withValue {
		val := rec.Value
		b.Value = &val
	}
	return b
}

func (v *Vault) deletedBundle(rec record, d deletion) bundleJSON {
	b := v.bundle(rec, false)
	b.RecoveryID = v.url + "/deletedsecrets/" + url.PathEscape(rec.Name)
	b.DeletedDate, b.ScheduledPurgeDate = d.DeletedDate, d.ScheduledPurgeDate
	return b
}

func (v *Vault) attrs(rec record) attributesJSON {
	a := rec.Attributes
	return attributesJSON{
		Enabled: a.Enabled, NotBefore: a.NotBef, Expires: a.Expires, Created: a.Created, Updated: a.Updated,
		RecoveryLevel: recoveryLevel, RecoverableDays: recoverableDays,
	}
}

func (v *Vault) notFound(w http.ResponseWriter, name, version string) {
	what := name
	if version != "" {
		what = name + "/" + version
	}
	writeError(w, http.StatusNotFound, "SecretNotFound", "",
		fmt.Sprintf("A secret with (name/id) %s was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182", what))
}

func (v *Vault) internal(w http.ResponseWriter, err error) {
	v.log.Error().Err(err).Msg("vault storage failed")
	writeError(w, http.StatusInternalServerError, "InternalServerError", "", "The vault could not complete the request; see the devstack log.")
}
