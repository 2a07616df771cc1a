package lease

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// ErrNotHeld means Mark was called while this Locker held no lease.
var ErrNotHeld = errors.New("lease: not held by this locker")

// Mark records t under name in the lock blob's metadata, so every instance
// sees it (Marked). Only the lease holder may write a leased blob: Mark
// fails with ErrNotHeld unless a lease acquired through this Locker is
// held. name must be a C# identifier, as blob metadata names are; the
// blob's other marks are kept.
//
// Metadata is set with Set Blob Metadata and the lease id
// (https://learn.microsoft.com/rest/api/storageservices/set-blob-metadata:
// "If the blob has an active lease, the client must specify a valid lease
// ID"), which replaces the whole metadata set.
func (l *Locker) Mark(ctx context.Context, name string, t time.Time) error {
	l.mu.Lock()
	le := l.held
	l.mu.Unlock()
	if le == nil {
		return fmt.Errorf("lease: mark %s on blob %s: %w", name, l.name, ErrNotHeld)
	}
	props, err := l.blob.GetProperties(ctx, nil)
	if err != nil {
		return l.wrap("read metadata of", err)
	}
	md := map[string]*string{}
	for k, v := range props.Metadata {
		md[strings.ToLower(k)] = v
	}
	md[strings.ToLower(name)] = to.Ptr(strconv.FormatInt(t.UTC().UnixMilli(), 10))
	_, err = l.blob.SetMetadata(ctx, md, &blob.SetMetadataOptions{
		AccessConditions: &blob.AccessConditions{LeaseAccessConditions: &blob.LeaseAccessConditions{LeaseID: to.Ptr(le.ID())}},
	})
	if err != nil {
		return l.wrap("write metadata of", err)
	}
	return nil
}

// Marked returns the time last recorded under name by Mark on any
// instance; zero when none is recorded (or the blob does not exist yet).
// Reading needs no lease. Metadata names are matched case-insensitively:
// the service keeps their case, but HTTP header handling may not.
func (l *Locker) Marked(ctx context.Context, name string) (time.Time, error) {
	props, err := l.blob.GetProperties(ctx, nil)
	if err != nil {
		if isNotFound(err) {
			return time.Time{}, nil
		}
		return time.Time{}, l.wrap("read metadata of", err)
	}
	for k, v := range props.Metadata {
		if !strings.EqualFold(k, name) || v == nil {
			continue
		}
		ms, err := strconv.ParseInt(*v, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("lease: blob %s: metadata %s is not a time in Unix milliseconds", l.name, name)
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, nil
}

// isNotFound reports a missing blob or container (a HEAD request carries
// the code only in a header, so the status is checked too).
func isNotFound(err error) bool {
	var re *azcore.ResponseError
	return bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) ||
		errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
