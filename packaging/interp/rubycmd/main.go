// Command rubycmd turns ruby.wasm's reactor build (the npm package @ruby/*-wasm-wasi,
// made for a JavaScript host) into a WASI preview 1 command that the sandbox runs:
//
//	wasm-dis ruby+stdlib.wasm -o in.wast
//	rubycmd < in.wast > out.wast
//	wasm-as -all out.wast -o ruby.wasm
//
// It works on Binaryen's text, in which functions are named, so that removing and adding
// imports renumbers nothing by hand. It makes three changes:
//   - The imports from the JavaScript host (rb-js-abi-host, canonical_abi) become
//     functions that trap: they serve only Ruby's "js" library, which has no JavaScript
//     to talk to here.
//   - It imports WASI's args_sizes_get and args_get, and exports a _start that calls
//     _initialize, starts Ruby with "-EUTF-8 -e_=0 --" followed by the job's own
//     arguments (so they are ARGV), then runs a short Ruby prelude (prelude.rb) that
//     runs the script named by ARGV[0], or the code after -e, or standard input, and
//     exits with the script's status.
//   - It drops the _initialize export, so that the module is a command and not a reactor.
//
// Everything else, the interpreter and the standard library that wasi-vfs packed into it,
// is left as it is.
package main

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

//go:embed prelude.rb
var prelude string

// The fixed arguments Ruby starts with, before the job's: UTF-8 by default, an empty
// main script (the prelude runs the job's), and "--" so that the job's arguments are
// ARGV even when they start with a dash.
var rubyArgs = []string{"ruby", "-EUTF-8", "-e_=0", "--"}

var (
	importLine = regexp.MustCompile(`^ \(import "([^"]*)" "([^"]*)" \(func (\$\S+)(.*)\)\)$`)
	exportLine = regexp.MustCompile(`^ \(export "([^"]*)" \(func (\$\S+)\)\)$`)
)

func main() {
	if err := convert(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rubycmd:", err)
		os.Exit(1)
	}
}

// convert reads the module's text from r and writes the command's to w.
func convert(r io.Reader, w io.Writer) error {
	in := bufio.NewReaderSize(r, 1<<20)
	out := bufio.NewWriterSize(w, 1<<20)
	var stubs []string
	exports := map[string]string{}
	imports := map[string]string{} // WASI function name -> its name in the text
	importsDone, exportsSeen := false, false
	var last string
	for {
		line, err := in.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil && err != io.EOF {
			return err
		}
		text := strings.TrimSuffix(line, "\n")
		if m := importLine.FindStringSubmatch(text); m != nil {
			if m[1] != "wasi_snapshot_preview1" {
				stubs = append(stubs, fmt.Sprintf(" (func %s%s\n  (unreachable)\n )\n", m[3], m[4]))
				continue
			}
			imports[m[2]] = m[3]
		} else if !importsDone && strings.HasPrefix(text, " (") && !strings.HasPrefix(text, " (type") && !strings.HasPrefix(text, " (import") {
			// The first field after the imports: add the two WASI imports _start needs.
			importsDone = true
			for _, name := range []string{"args_sizes_get", "args_get"} {
				if imports[name] == "" {
					imports[name] = "$daoli_" + name
					fmt.Fprintf(out, " (import \"wasi_snapshot_preview1\" %q (func $daoli_%s (param i32 i32) (result i32)))\n", name, name)
				}
			}
		}
		if m := exportLine.FindStringSubmatch(text); m != nil {
			exportsSeen = true
			exports[m[1]] = m[2]
			if m[1] == "_initialize" {
				continue
			}
		} else if exportsSeen && exports["_start"] == "" {
			exports["_start"] = "$daoli_start"
			out.WriteString(" (export \"_start\" (func $daoli_start))\n")
		}
		if text == ")" {
			last = line
			break
		}
		out.WriteString(line)
	}
	if last == "" {
		return fmt.Errorf("no end of module")
	}
	if len(stubs) == 0 {
		return fmt.Errorf("no JavaScript imports: not ruby.wasm's reactor build")
	}
	for _, s := range stubs {
		out.WriteString(s)
	}
	start, err := startFunc(exports, imports)
	if err != nil {
		return err
	}
	out.WriteString(start)
	out.WriteString(last)
	return out.Flush()
}

// startFunc is _start: the command's entry point.
func startFunc(exports, imports map[string]string) (string, error) {
	need := map[string]string{}
	for short, export := range map[string]string{
		"init":    "_initialize",
		"realloc": "cabi_realloc",
		"ruby":    "ruby-init: func(args: list<string>) -> ()",
		"eval":    "rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>",
	} {
		if exports[export] == "" {
			return "", fmt.Errorf("the module does not export %q", export)
		}
		need[short] = exports[export]
	}
	if imports["proc_exit"] == "" {
		return "", fmt.Errorf("the module does not import proc_exit")
	}
	fixed := len(rubyArgs)
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	alloc := func(align, size string) string {
		return fmt.Sprintf("(call %s (i32.const 0) (i32.const 0) (i32.const %s) %s)", need["realloc"], align, size)
	}
	// str stores s, with a NUL after it as ruby.wasm's own host passes strings, into
	// fresh memory held in $str.
	str := func(s string) {
		s += "\x00"
		p("  (local.set $str %s)", alloc("1", fmt.Sprintf("(i32.const %d)", len(s))))
		for i := 0; i < len(s); i++ {
			p("  (i32.store8 offset=%d (local.get $str) (i32.const %d))", i, s[i])
		}
	}
	p(" (func $daoli_start")
	p("  (local $sp i32) (local $argc i32) (local $argv i32) (local $list i32) (local $i i32) (local $s i32) (local $n i32) (local $e i32) (local $str i32)")
	p("  (call %s)", need["init"])
	p("  (local.set $sp %s)", alloc("4", "(i32.const 8)"))
	p("  (drop (call %s (local.get $sp) (i32.add (local.get $sp) (i32.const 4))))", imports["args_sizes_get"])
	p("  (local.set $argc (i32.load (local.get $sp)))")
	p("  (local.set $argv %s)", alloc("4", "(i32.shl (i32.add (local.get $argc) (i32.const 1)) (i32.const 2))"))
	p("  (drop (call %s (local.get $argv) %s))", imports["args_get"], alloc("1", "(i32.add (i32.load offset=4 (local.get $sp)) (i32.const 1))"))
	p("  (if (i32.eqz (local.get $argc)) (local.set $argc (i32.const 1)))")
	// The list: the fixed arguments, then argv[1:], each a (pointer, length) pair.
	p("  (local.set $list %s)", alloc("4", fmt.Sprintf("(i32.shl (i32.add (local.get $argc) (i32.const %d)) (i32.const 3))", fixed-1)))
	for k, a := range rubyArgs {
		str(a)
		p("  (i32.store offset=%d (local.get $list) (local.get $str))", 8*k)
		p("  (i32.store offset=%d (local.get $list) (i32.const %d))", 8*k+4, len(a)+1)
	}
	p("  (local.set $i (i32.const 1))")
	p("  (block $done")
	p("   (loop $next")
	p("    (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))")
	p("    (local.set $s (i32.load (i32.add (local.get $argv) (i32.shl (local.get $i) (i32.const 2)))))")
	p("    (local.set $n (i32.const 0))")
	p("    (block $end")
	p("     (loop $len")
	p("      (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $s) (local.get $n)))))")
	p("      (local.set $n (i32.add (local.get $n) (i32.const 1)))")
	p("      (br $len)))")
	p("    (local.set $e (i32.add (local.get $list) (i32.shl (i32.add (local.get $i) (i32.const %d)) (i32.const 3))))", fixed-1)
	p("    (i32.store (local.get $e) (local.get $s))")
	p("    (i32.store offset=4 (local.get $e) (i32.add (local.get $n) (i32.const 1)))")
	p("    (local.set $i (i32.add (local.get $i) (i32.const 1)))")
	p("    (br $next)))")
	p("  (call %s (local.get $list) (i32.add (local.get $argc) (i32.const %d)))", need["ruby"], fixed-1)
	str(prelude)
	p("  (drop (call %s (local.get $str) (i32.const %d)))", need["eval"], len(prelude)+1)
	// The prelude ends with exit!, so this is reached only if Ruby could not run it.
	p("  (call %s (i32.const 70))", imports["proc_exit"])
	p(" )")
	return b.String(), nil
}
