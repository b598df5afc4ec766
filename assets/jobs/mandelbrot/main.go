// Command mandelbrot renders one tile of the Mandelbrot set as a PNG.
//
// The image goes to standard output: the example job of a render farm.
//
//	mandelbrot [SIZE [ITERATIONS [CENTER-X CENTER-Y [WIDTH]]]]
package main

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strconv"
)

func main() {
	size, iters := 256, 256
	cx, cy, width := -0.5, 0.0, 3.0
	args := os.Args[1:]
	parse := func(i int, f func(string) error) {
		if len(args) > i {
			if err := f(args[i]); err != nil {
				fmt.Fprintln(os.Stderr, "mandelbrot:", err)
				os.Exit(2)
			}
		}
	}
	parse(0, func(s string) (err error) { size, err = strconv.Atoi(s); return })
	parse(1, func(s string) (err error) { iters, err = strconv.Atoi(s); return })
	parse(2, func(s string) (err error) { cx, err = strconv.ParseFloat(s, 64); return })
	parse(3, func(s string) (err error) { cy, err = strconv.ParseFloat(s, 64); return })
	parse(4, func(s string) (err error) { width, err = strconv.ParseFloat(s, 64); return })
	if size < 1 || size > 8192 || iters < 1 {
		fmt.Fprintln(os.Stderr, "mandelbrot: size 1..8192 and iterations ≥ 1")
		os.Exit(2)
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	step := width / float64(size)
	for py := range size {
		y := cy + (float64(py)-float64(size)/2)*step
		for px := range size {
			x := cx + (float64(px)-float64(size)/2)*step
			img.SetRGBA(px, py, shade(escape(x, y, iters), iters))
		}
	}
	w := bufio.NewWriter(os.Stdout)
	if err := png.Encode(w, img); err != nil {
		fmt.Fprintln(os.Stderr, "mandelbrot:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "mandelbrot:", err)
		os.Exit(1)
	}
}

// escape counts iterations until z leaves the circle of radius 2.
func escape(x, y float64, iters int) int {
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

func shade(n, iters int) color.RGBA {
	if n == iters {
		return color.RGBA{A: 255}
	}
	t := float64(n) / float64(iters)
	return color.RGBA{R: uint8(9 * (1 - t) * t * t * t * 255), G: uint8(15 * (1 - t) * (1 - t) * t * t * 255), B: uint8(8.5 * (1 - t) * (1 - t) * (1 - t) * t * 255), A: 255}
}
