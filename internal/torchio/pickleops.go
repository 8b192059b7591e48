package torchio

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// checkPickle walks a pickle program's opcodes (as Python's
// pickletools.genops does) without running it, and checks that every
// length an opcode declares (BINBYTES8, BINUNICODE, LONG4, FRAME, …) fits
// in the bytes that follow, and that the program ends with STOP. gopickle
// allocates a declared length before reading it, so a 10-byte pickle
// declaring a 2^40-byte string would otherwise exhaust memory; and a
// truncated program is reported as such rather than as whatever the cut
// opcode happens to mean. Written here because gopickle offers no such
// check and no other Go reader of pickles is maintained.
func checkPickle(p []byte) error {
	i := 0
	for i < len(p) {
		op, at := p[i], i
		i++
		n, err := argLen(op, p[i:])
		if err != nil {
			return fmt.Errorf("pickle opcode 0x%02x at byte %d: %w", op, at, err)
		}
		if n > len(p)-i {
			return fmt.Errorf("pickle opcode 0x%02x at byte %d declares %d bytes but %d remain: the file is truncated or damaged", op, at, n, len(p)-i)
		}
		i += n
		if op == '.' { // STOP
			return nil
		}
	}
	return fmt.Errorf("the pickle ends after %d bytes without its STOP opcode: the file is truncated or damaged", len(p))
}

// fixedArg is the argument size of the opcodes whose argument has a fixed
// size (0 for none).
var fixedArg = func() [256]int {
	var t [256]int
	for i := range t {
		t[i] = -1 // unknown
	}
	for _, op := range "(.012NRabd}el]ost)u" {
		t[op] = 0
	}
	for _, op := range []byte{0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 'Q', 0x97, 0x98} {
		t[op] = 0
	}
	for _, op := range []byte{'K', 'h', 'q', 0x80, 0x82} {
		t[op] = 1
	}
	for _, op := range []byte{'M', 0x83} {
		t[op] = 2
	}
	for _, op := range []byte{'J', 'j', 'r', 0x84} {
		t[op] = 4
	}
	t['G'] = 8 // BINFLOAT

	return t
}()

// argLen is the number of bytes of op's argument at the start of rest.
func argLen(op byte, rest []byte) (int, error) {
	prefixed := func(width int) (int, error) {
		if len(rest) < width {
			return 0, fmt.Errorf("its %d-byte length is cut off: the file is truncated or damaged", width)
		}
		var n uint64
		switch width {
		case 1:
			n = uint64(rest[0])
		case 4:
			n = uint64(binary.LittleEndian.Uint32(rest))
		case 8:
			n = binary.LittleEndian.Uint64(rest)
		}
		if n > uint64(len(rest)-width) {
			return 0, fmt.Errorf("it declares %d bytes but %d remain: the file is truncated, damaged or crafted", n, len(rest)-width)
		}
		return width + int(n), nil
	}
	lines := func(k int) (int, error) {
		n := 0
		for ; k > 0; k-- {
			j := bytes.IndexByte(rest[n:], '\n')
			if j < 0 {
				return 0, fmt.Errorf("its text argument has no end of line: the file is truncated or damaged")
			}
			n += j + 1
		}
		return n, nil
	}
	switch op {
	case 'U', 'C', 0x8c, 0x8a: // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE, LONG1
		return prefixed(1)
	case 'T', 'B', 'X', 0x8b: // BINSTRING, BINBYTES, BINUNICODE, LONG4
		return prefixed(4)
	case 0x8d, 0x8e, 0x96: // BINUNICODE8, BINBYTES8, BYTEARRAY8
		return prefixed(8)
	case 0x95: // FRAME: the frame's opcodes follow, and must all be there
		_, err := prefixed(8)
		return 8, err
	case 'I', 'L', 'F', 'S', 'V', 'g', 'p', 'P': // one line of text
		return lines(1)
	case 'c', 'i': // GLOBAL, INST: module and name lines
		return lines(2)
	}
	if n := fixedArg[op]; n >= 0 {
		return n, nil
	}
	return 0, fmt.Errorf("unknown opcode (not a pickle, or a damaged one)")
}
