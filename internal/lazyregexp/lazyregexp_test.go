package lazyregexp

import (
	"strings"
	"sync"
	"testing"
)

func TestRegexp(t *testing.T) {
	r := New(`^([a-z]+)-([0-9]+)$`)
	if r.String() != `^([a-z]+)-([0-9]+)$` {
		t.Errorf("String() = %q", r.String())
	}
	if !r.MatchString("abc-12") || r.MatchString("abc-") {
		t.Error("MatchString is wrong")
	}
	if got := r.FindStringSubmatch("ab-3"); len(got) != 3 || got[1] != "ab" || got[2] != "3" {
		t.Errorf("FindStringSubmatch = %q", got)
	}
	w := New(`secret=\S+`)
	if got := w.ReplaceAllString("a secret=xyz b", "secret=[REDACTED]"); got != "a secret=[REDACTED] b" {
		t.Errorf("ReplaceAllString = %q", got)
	}
	if got := string(w.ReplaceAll([]byte("secret=1"), []byte("-"))); got != "-" {
		t.Errorf("ReplaceAll = %q", got)
	}
	if got := w.ReplaceAllStringFunc("secret=ab", strings.ToUpper); got != "SECRET=AB" {
		t.Errorf("ReplaceAllStringFunc = %q", got)
	}
	if got := w.FindString("x secret=1 y"); got != "secret=1" {
		t.Errorf("FindString = %q", got)
	}
	if got := w.FindAllString("secret=1 secret=2", -1); len(got) != 2 {
		t.Errorf("FindAllString = %q", got)
	}
}

func TestCompiledOnceUnderConcurrency(t *testing.T) {
	saved := inTest
	inTest = false
	defer func() { inTest = saved }()
	r := New(`^x+$`)
	if r.rx != nil {
		t.Fatal("compiled before first use outside tests")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !r.MatchString(strings.Repeat("x", 10)) {
				t.Error("no match")
			}
		})
	}
	wg.Wait()
	if r.rx == nil {
		t.Fatal("not compiled after use")
	}
}

func TestMalformedPatternFailsInTests(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a malformed pattern did not panic in a test binary")
		}
	}()
	New(`(`)
}
