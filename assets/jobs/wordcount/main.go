// Command wordcount counts the words of its input and prints the most frequent ones.
//
// The example of a job over a buyer's data.
//
//	wordcount [TOP]      (input on standard input, or the file /input)
package main

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	top := 20
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "wordcount: TOP must be a whole number above 0")
			os.Exit(2)
		}
		top = n
	}
	counts := map[string]int{}
	total := 0
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Split(bufio.ScanWords)
	for sc.Scan() {
		w := strings.ToLower(strings.TrimFunc(sc.Text(), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }))
		if w == "" {
			continue
		}
		counts[w]++
		total++
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	fmt.Printf("words %d\ndistinct %d\n", total, len(counts))
	for _, w := range words[:min(top, len(words))] {
		fmt.Printf("%d %s\n", counts[w], w)
	}
}
