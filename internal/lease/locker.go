package lease

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	bloblease "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
)

// DefaultBlob is a lock blob name for callers that need only one lock.
// (The lock container is the caller's setting: ROTATION_LOCK_CONTAINER in
// internal/config.)
const DefaultBlob = "rotation.lock"

// ErrBusy means another holder kept the lease for the whole wait.
var ErrBusy = errors.New("lease: held by another instance")

// ErrLost means renewals failed for a whole lease duration: another
// instance may now hold the lock.
var ErrLost = errors.New("lease: lost while held")

// LockerOptions configures a Locker; zero fields mean the defaults.
type LockerOptions struct {
	// ClientOptions configure the blob client when the Locker is built from
	// Settings; NewLocker ignores them.
	azcore.ClientOptions

	// LeaseDuration is the lease length, 15 s to 60 s; default 60 s.
	LeaseDuration time.Duration
	// RenewInterval is how often a held lease is renewed; default a third of
	// LeaseDuration.
	RenewInterval time.Duration
	// PollInterval is the first pause between attempts while the lease is
	// busy; it doubles (with jitter) up to MaxPollInterval. Defaults 250 ms
	// and 5 s.
	PollInterval, MaxPollInterval time.Duration
}

// Locker acquires the lease on one blob. It is safe for concurrent use;
// each Acquire competes for the lease independently.
type Locker struct {
	container *container.Client
	blob      *blockblob.Client
	name      string
	opts      LockerOptions

	mu   sync.Mutex
	held *Lease // the lease this Locker holds, for Mark
}

// NewLocker returns a Locker for blob blobName in the container c.
func NewLocker(c *container.Client, blobName string, opts *LockerOptions) (*Locker, error) {
	if c == nil || blobName == "" {
		return nil, errors.New("lease: nil container client or empty blob name")
	}
	o := LockerOptions{}
	if opts != nil {
		o = *opts
	}
	if o.LeaseDuration == 0 {
		o.LeaseDuration = 60 * time.Second
	}
	if o.LeaseDuration < 15*time.Second || o.LeaseDuration > 60*time.Second {
		return nil, fmt.Errorf("lease: duration %v outside 15s..60s", o.LeaseDuration)
	}
	if o.RenewInterval <= 0 {
		o.RenewInterval = o.LeaseDuration / 3
	}
	if o.RenewInterval >= o.LeaseDuration {
		return nil, fmt.Errorf("lease: renew interval %v must be shorter than the lease duration %v", o.RenewInterval, o.LeaseDuration)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = 5 * time.Second
	}
	return &Locker{container: c, blob: c.NewBlockBlobClient(blobName), name: blobName, opts: o}, nil
}

// Acquire takes the lease, creating the container and blob if missing. While
// another holder has it, Acquire polls with exponential backoff and jitter
// for up to wait (0 means one attempt), then returns an error matching
// ErrBusy. The returned Lease is renewed in the background until Release.
func (l *Locker) Acquire(ctx context.Context, wait time.Duration) (*Lease, error) {
	deadline := time.Now().Add(wait)
	delay := l.opts.PollInterval
	created := false
	for {
		lc, err := bloblease.NewBlobClient(l.blob, nil)
		if err != nil {
			return nil, fmt.Errorf("lease: %w", err)
		}
		_, err = lc.AcquireLease(ctx, int32(l.opts.LeaseDuration/time.Second), nil)
		switch {
		case err == nil:
			return l.start(lc), nil
		case !created && bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound):
			if err := l.ensureBlob(ctx); err != nil {
				return nil, err
			}
			created = true
			continue
		case bloberror.HasCode(err, bloberror.LeaseAlreadyPresent):
		default:
			return nil, l.wrap("acquire lease on", err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("lease: blob %s/%s still leased after waiting %v: %w", l.container.URL(), l.name, wait, ErrBusy)
		}
		pause := min(jitter(delay), left)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lease: waiting for blob %s: %w", l.name, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, l.opts.MaxPollInterval)
	}
}

// Lock is Acquire in the shape the rotation service's Locker interface
// expects. The returned context is derived from ctx and is cancelled, with
// a cause matching ErrLost, as soon as the lease is lost (renewals failed),
// so work done under the lock stops before it writes; release stops the
// renewal, releases the lease and cancels the context.
func (l *Locker) Lock(ctx context.Context, wait time.Duration) (context.Context, func(context.Context) error, error) {
	le, err := l.Acquire(ctx, wait)
	if err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancelCause(ctx)
	go func() {
		<-le.done // renewal ended: released, or lost
		select {
		case <-le.lost:
			cancel(le.lostErr())
		default:
		}
	}()
	release := func(rctx context.Context) error {
		err := le.Release(rctx)
		cancel(context.Canceled)
		return err
	}
	return held, release, nil
}

// ensureBlob creates the container and an empty blob when missing.
func (l *Locker) ensureBlob(ctx context.Context) error {
	if _, err := l.container.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return l.wrap("create container for", err)
	}
	_, err := l.blob.UploadBuffer(ctx, nil, &blockblob.UploadBufferOptions{
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}},
	})
	if err != nil && !bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet, bloberror.LeaseIDMissing) {
		var re *azcore.ResponseError
		if !errors.As(err, &re) || (re.StatusCode != http.StatusConflict && re.StatusCode != http.StatusPreconditionFailed) {
			return l.wrap("create", err)
		}
	}
	return nil
}

// wrap names the blob and, for 403, the role to assign.
func (l *Locker) wrap(op string, err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
		return fmt.Errorf("lease: %s blob %s/%s: assign role Storage Blob Data Contributor to the function app's identity on the storage account: %w", op, l.container.URL(), l.name, err)
	}
	return fmt.Errorf("lease: %s blob %s/%s: %w", op, l.container.URL(), l.name, err)
}

// jitter returns d scaled by a random factor in [0.8, 1.2).
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Lease is a held lease. Release it when done; until then it is renewed in
// the background.
type Lease struct {
	client *bloblease.BlobClient
	opts   LockerOptions
	ctx    context.Context // cancelled by Release to abort a renewal in flight
	cancel context.CancelFunc
	stop   chan struct{}
	done   chan struct{}
	lost   chan struct{}

	locker *Locker

	once sync.Once
	mu   sync.Mutex
	err  error
}

func (l *Locker) start(lc *bloblease.BlobClient) *Lease {
	ctx, cancel := context.WithCancel(context.Background())
	le := &Lease{client: lc, opts: l.opts, ctx: ctx, cancel: cancel, stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{}), locker: l}
	l.mu.Lock()
	l.held = le
	l.mu.Unlock()
	go le.renew()
	return le
}

// ID returns the lease id.
func (le *Lease) ID() string { return *le.client.LeaseID() }

// Lost is closed when renewals failed for a whole lease duration.
func (le *Lease) Lost() <-chan struct{} { return le.lost }

func (le *Lease) renew() {
	defer close(le.done)
	t := time.NewTicker(le.opts.RenewInterval)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-le.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(le.ctx, le.opts.RenewInterval)
		_, err := le.client.RenewLease(ctx, nil)
		cancel()
		if err == nil {
			last = time.Now()
			continue
		}
		if le.ctx.Err() != nil {
			return // released while renewing
		}
		if time.Since(last) >= le.opts.LeaseDuration || bloberror.HasCode(err, bloberror.LeaseIDMismatchWithLeaseOperation, bloberror.LeaseNotPresentWithLeaseOperation, bloberror.LeaseLost) {
			le.mu.Lock()
			le.err = fmt.Errorf("renew: %w: %w", ErrLost, err)
			le.mu.Unlock()
			close(le.lost)
			return
		}
	}
}

// lostErr is the error that ended renewal, matching ErrLost; nil while held.
func (le *Lease) lostErr() error {
	le.mu.Lock()
	defer le.mu.Unlock()
	if le.err == nil {
		return nil
	}
	return fmt.Errorf("lease: %w", le.err)
}

// Release stops renewal and releases the lease. It returns an error matching
// ErrLost if the lease was lost while held. Calling it again is a no-op.
func (le *Lease) Release(ctx context.Context) error {
	var err error
	le.once.Do(func() {
		le.locker.mu.Lock()
		if le.locker.held == le {
			le.locker.held = nil
		}
		le.locker.mu.Unlock()
		close(le.stop)
		le.cancel()
		<-le.done
		if err = le.lostErr(); err != nil {
			return
		}
		if _, rerr := le.client.ReleaseLease(ctx, nil); rerr != nil {
			err = fmt.Errorf("lease: release: %w", rerr)
		}
	})
	return err
}
