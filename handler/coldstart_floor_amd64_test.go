//go:build linux && amd64

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// answerAtOnceCode is a complete HTTP server in 198 bytes of x86-64 machine
// code, assembled with GNU as from:
//
//	    mov edi, 2; mov esi, 1; xor edx, edx; mov eax, 41; syscall  # socket(AF_INET, SOCK_STREAM, 0)
//	    mov r12, rax
//	    mov rdi, r12; lea rsi, [rip+addr]; mov edx, 16; mov eax, 49; syscall  # bind
//	    mov rdi, r12; mov esi, 64; mov eax, 50; syscall  # listen(fd, 64)
//	loop:
//	    mov rdi, r12; xor esi, esi; xor edx, edx; mov eax, 43; syscall  # accept
//	    mov r13, rax
//	    mov rdi, r13; mov rsi, rsp; mov edx, 1024; xor eax, eax; syscall  # read the request
//	    mov rdi, r13; lea rsi, [rip+resp]; mov edx, respend-resp; mov eax, 1; syscall  # write
//	    mov rdi, r13; mov eax, 3; syscall  # close
//	    jmp loop
//	addr: .short 2; .byte 0x12, 0x34; .byte 127, 0, 0, 1; .quad 0  # sockaddr_in, port patched
//	resp: .ascii "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
//
// It has no runtime, no libc and no dynamic loader: the time from exec to
// its first answer is what the harness itself costs (fork and exec from the
// benchmark process, the poll interval, one probe).
const answerAtOnceCode = "bf02000000be0100000031d2b8290000000f054989c44c89e7488d355d000000" +
	"ba10000000b8310000000f054c89e7be40000000b8320000000f054c89e731f6" +
	"31d2b82b0000000f054989c54c89ef4889e6ba0004000031c00f054c89ef488d" +
	"3528000000ba39000000b8010000000f054c89efb8030000000f05ebbe020012" +
	"347f0000010000000000000000485454502f312e3120323030204f4b0d0a436f" +
	"6e74656e742d4c656e6774683a20300d0a436f6e6e656374696f6e3a20636c6f" +
	"73650d0a0d0a"

// answerAtOnce writes the answer-at-once server for port as a static
// ELF executable and returns its path.
func answerAtOnce(b *testing.B, port int) string {
	code, err := hex.DecodeString(answerAtOnceCode)
	if err != nil {
		b.Fatal(err)
	}
	placeholder := []byte{2, 0, 0x12, 0x34, 127, 0, 0, 1}
	i := bytes.Index(code, placeholder)
	if i < 0 {
		b.Fatal("answer-at-once code has no sockaddr placeholder")
	}
	binary.BigEndian.PutUint16(code[i+2:], uint16(port))

	const base, headers = 0x400000, 64 + 56
	size := uint64(headers + len(code))
	var elf bytes.Buffer
	w := func(v any) { binary.Write(&elf, binary.LittleEndian, v) }
	elf.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	w(uint16(2))              // ET_EXEC
	w(uint16(0x3e))           // EM_X86_64
	w(uint32(1))              // EV_CURRENT
	w(uint64(base + headers)) // entry: the code after the headers
	w(uint64(64))             // program headers right after this header
	w(uint64(0))              // no section headers
	w(uint32(0))              // flags
	w(uint16(64))             // header size
	w(uint16(56))             // program header size
	w(uint16(1))              // one program header
	w(uint16(0))              // section header size
	w(uint16(0))              // section headers
	w(uint16(0))              // section name table
	w(uint32(1))              // PT_LOAD
	w(uint32(5))              // readable, executable
	w(uint64(0))              // from the file's start
	w(uint64(base))           // virtual address
	w(uint64(base))           // physical address
	w(size)                   // file size
	w(size)                   // memory size
	w(uint64(0x1000))         // alignment
	elf.Write(code)

	exe := filepath.Join(b.TempDir(), "answer-at-once")
	if err := os.WriteFile(exe, elf.Bytes(), 0o755); err != nil {
		b.Fatal(err)
	}
	return exe
}
