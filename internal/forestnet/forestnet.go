package forestnet

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

const (
	magic = "frogbridge-forestnet/1"
	// nonceSize is the size of each side's challenge.
	nonceSize = 32
	macSize   = sha256.Size
	// MaxFingerprint bounds Options.Fingerprint.
	MaxFingerprint = 1024
	// maxMessage bounds the text of an error or result frame.
	maxMessage = 4096
	// DefaultMaxTreeBytes is the default bound of one tree's encoding.
	DefaultMaxTreeBytes = 128 << 20
	// HandshakeTimeout bounds hello, auth and ok on one connection.
	HandshakeTimeout = 30 * time.Second
)

// Frame types.
const (
	typeHello  = 'H'
	typeAuth   = 'A'
	typeOK     = 'K'
	typeTree   = 'T'
	typeDone   = 'D'
	typeError  = 'E'
	typeResult = 'R'
)

// ErrAuth is returned when a peer does not prove it holds the job's key.
var ErrAuth = errors.New("authentication failed")

// ErrProtocol is returned for a frame that breaks the protocol: garbage, a
// bad MAC, a tree out of turn, a length over its bound.
var ErrProtocol = errors.New("protocol violation")

// ErrRankFailed is returned by Collect when a rank reports its own failure.
var ErrRankFailed = errors.New("rank failed")

// Options configure both ends.
type Options struct {
	// Key is the job's shared key (DeriveKey); at least 32 bytes.
	Key []byte
	// WorldSize is the number of ranks, rank 0 included (at least 2).
	WorldSize int
	// Trees is the forest's tree count.
	Trees int
	// Fingerprint must be the same in every rank (at most MaxFingerprint
	// bytes): the data set's sha256 and the hyperparameters.
	Fingerprint string
	// MaxTreeBytes bounds one tree's encoding (default DefaultMaxTreeBytes).
	MaxTreeBytes int
	// JoinTimeout, when positive, bounds how long Collect waits for every
	// rank to connect (ErrRankMissing).
	JoinTimeout time.Duration
}

func (o *Options) check() error {
	switch {
	case len(o.Key) < 32:
		return errors.New("forestnet: the key must have at least 32 bytes")
	case o.WorldSize < 2:
		return fmt.Errorf("forestnet: world size %d: at least 2", o.WorldSize)
	case o.Trees < 1:
		return errors.New("forestnet: no trees")
	case len(o.Fingerprint) > MaxFingerprint:
		return fmt.Errorf("forestnet: fingerprint longer than %d bytes", MaxFingerprint)
	}
	if o.MaxTreeBytes <= 0 {
		o.MaxTreeBytes = DefaultMaxTreeBytes
	}
	return nil
}

// owns reports whether tree i belongs to rank.
func (o *Options) owns(rank, i int) bool { return i%o.WorldSize == rank }

// count is the number of trees rank grows.
func (o *Options) count(rank int) int {
	if rank >= o.Trees {
		return 0
	}
	return (o.Trees-1-rank)/o.WorldSize + 1
}

// DeriveKey derives the job's key from a secret every rank can read and
// the job's run ID: HMAC-SHA256(secret, "frogbridge forestnet v1" ‖ 0 ‖ runID).
func DeriveKey(secret []byte, runID string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("frogbridge forestnet v1\x00"))
	m.Write([]byte(runID))
	return m.Sum(nil)
}

func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func u32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// conn frames one connection.
type conn struct {
	c       net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	session []byte // nil during the handshake
	seqIn   uint64
	seqOut  uint64
}

func newConn(c net.Conn) *conn {
	return &conn{c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 64<<10)}
}

func (c *conn) frameMAC(seq uint64, typ byte, payload []byte) []byte {
	return mac(c.session, binary.BigEndian.AppendUint64(nil, seq), []byte{typ}, payload)
}

func (c *conn) write(typ byte, payload []byte) error {
	var h [5]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	c.w.Write(h[:])
	c.w.Write(payload)
	if c.session != nil {
		c.w.Write(c.frameMAC(c.seqOut, typ, payload))
		c.seqOut++
	}
	return c.w.Flush()
}

// read reads one frame whose payload is at most limit bytes.
func (c *conn) read(limit int) (byte, []byte, error) {
	return readFrame(c.r, limit, c.session, &c.seqIn)
}

// readFrame parses one frame from r. With a session key it checks the
// frame's MAC against sequence number *seq and advances it.
func readFrame(r io.Reader, limit int, session []byte, seq *uint64) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if uint64(n) > uint64(limit) {
		return 0, nil, fmt.Errorf("%w: frame %q of %d bytes, at most %d", ErrProtocol, h[0], n, limit)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, unexpected(err)
	}
	if session != nil {
		var got [macSize]byte
		if _, err := io.ReadFull(r, got[:]); err != nil {
			return 0, nil, unexpected(err)
		}
		want := mac(session, binary.BigEndian.AppendUint64(nil, *seq), h[:1], payload)
		if !hmac.Equal(got[:], want) {
			return 0, nil, fmt.Errorf("%w: frame %d has a bad MAC", ErrProtocol, *seq)
		}
		*seq++
	}
	return h[0], payload, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// hello is rank 0's first frame.
func helloPayload(nonce []byte) []byte { return append([]byte(magic), nonce...) }

// auth is the payload of the auth frame.
type auth struct {
	rank, world int
	nonce       []byte
	fingerprint string
	mac         []byte
}

func (a *auth) signed(key, serverNonce []byte) []byte {
	return mac(key, []byte("auth"), serverNonce, a.nonce, u32(a.rank), u32(a.world), []byte(a.fingerprint))
}

func (a *auth) marshal() []byte {
	b := append(u32(a.rank), u32(a.world)...)
	b = append(b, a.nonce...)
	b = append(b, u32(len(a.fingerprint))...)
	b = append(b, a.fingerprint...)
	return append(b, a.mac...)
}

// parseAuth parses an auth payload; it checks only the shape.
func parseAuth(b []byte) (*auth, error) {
	const fixed = 4 + 4 + nonceSize + 4
	if len(b) < fixed+macSize {
		return nil, fmt.Errorf("%w: auth frame of %d bytes", ErrProtocol, len(b))
	}
	a := &auth{rank: int(binary.BigEndian.Uint32(b)), world: int(binary.BigEndian.Uint32(b[4:])), nonce: b[8 : 8+nonceSize]}
	n := int(binary.BigEndian.Uint32(b[8+nonceSize:]))
	if n > MaxFingerprint || len(b) != fixed+n+macSize {
		return nil, fmt.Errorf("%w: auth frame: fingerprint of %d bytes in a frame of %d", ErrProtocol, n, len(b))
	}
	a.fingerprint = string(b[fixed : fixed+n])
	a.mac = b[fixed+n:]
	return a, nil
}

func sessionKey(key, n0, nr []byte, rank int) []byte {
	return mac(key, []byte("session"), n0, nr, u32(rank))
}

func okMAC(key, n0, nr []byte, rank int) []byte { return mac(key, []byte("ok"), n0, nr, u32(rank)) }

func nonce() []byte {
	b := make([]byte, nonceSize)
	rand.Read(b)
	return b
}

// text cuts a message to maxMessage bytes.
func text(s string) []byte {
	if len(s) > maxMessage {
		s = s[:maxMessage]
	}
	return []byte(s)
}

// watch closes c when ctx ends, until the returned stop is called.
func watch(ctx context.Context, c net.Conn) (stop func()) {
	var once sync.Once
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			c.SetDeadline(time.Unix(1, 0))
		case <-done:
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}
