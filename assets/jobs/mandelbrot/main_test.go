package main

import "testing"

// plainEscape is the loop escape unrolls.
func plainEscape(x, y float64, iters int) int {
	var zr, zi float64
	for i := range iters {
		zr2, zi2 := zr*zr, zi*zi
		if zr2+zi2 > 4 {
			return i
		}
		zi = 2*zr*zi + y
		zr = zr2 - zi2 + x
	}
	return iters
}

// TestEscape: the unrolled loop counts exactly as the plain one, for every remainder
// of the iterations by four, inside and outside the set.
func TestEscape(t *testing.T) {
	for _, iters := range []int{1, 2, 3, 4, 5, 6, 7, 8, 63, 100, 255, 256, 257, 512} {
		for py := range 61 {
			for px := range 61 {
				x, y := -2.2+float64(px)*0.05, -1.5+float64(py)*0.05
				if got, want := escape(x, y, iters), plainEscape(x, y, iters); got != want {
					t.Fatalf("escape(%v, %v, %d) = %d, want %d", x, y, iters, got, want)
				}
			}
		}
	}
}

// TestRender: the set is index 0, and outside it the index grows with the fraction
// of the iterations a point took to escape, from 1 to 255.
func TestRender(t *testing.T) {
	const size, iters = 16, 100
	pix := make([]uint8, size*size)
	render(pix, size, iters, -0.5, 0, 3)
	if c := pix[size/2*size+size/2]; c != 0 { // (-0.5, 0) is in the set
		t.Fatalf("centre %d, want 0", c)
	}
	if c := pix[0]; c != 1+255/iters { // (-2, -1.5) escapes after one iteration
		t.Fatalf("corner %d, want %d", c, 1+255/iters)
	}
	if len(palette()) != 256 {
		t.Fatalf("%d colours", len(palette()))
	}
	pix = make([]uint8, 4*4)
	render(pix, 4, 2, 10, 10, 1) // far outside: every point escapes after one iteration of two
	for _, c := range pix {
		if c != 1+255/2 {
			t.Fatalf("indices %v, want all %d", pix, 1+255/2)
		}
	}
}
