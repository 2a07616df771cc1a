package forestnet

import (
	"bytes"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the frame and auth parsers, with
// and without a session key: they must return an error or a frame within
// its bounds, never panic or allocate past the bound.
func FuzzReadFrame(f *testing.F) {
	a := &auth{rank: 1, world: 2, nonce: make([]byte, nonceSize), fingerprint: "fp"}
	a.mac = a.signed(testKey, make([]byte, nonceSize))
	var frame bytes.Buffer
	c := &conn{}
	for _, p := range [][]byte{a.marshal(), append(u32(1), 'x'), {}} {
		frame.Reset()
		frame.WriteByte(typeAuth)
		frame.Write(u32(len(p)))
		frame.Write(p)
		f.Add(frame.Bytes(), false)
		c.session = testKey
		frame.Write(c.frameMAC(0, typeAuth, p))
		f.Add(frame.Bytes(), true)
	}
	f.Add([]byte{typeTree, 0xff, 0xff, 0xff, 0xff}, true)
	f.Fuzz(func(t *testing.T, b []byte, withSession bool) {
		var session []byte
		if withSession {
			session = testKey
		}
		const limit = 2048
		var seq uint64
		typ, p, err := readFrame(bytes.NewReader(b), limit, session, &seq)
		if err != nil {
			return
		}
		if len(p) > limit {
			t.Fatalf("payload of %d bytes past the limit", len(p))
		}
		if withSession && seq != 1 {
			t.Fatal("sequence not advanced")
		}
		if typ == typeAuth {
			if a, err := parseAuth(p); err == nil && (len(a.nonce) != nonceSize || len(a.mac) != macSize || len(a.fingerprint) > MaxFingerprint) {
				t.Fatalf("auth parsed out of shape: %+v", a)
			}
		}
	})
}
