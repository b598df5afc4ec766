;; A tiny WASI preview 1 job for tests: it draws 8 random bytes from the sandbox (seeded
;; by the deal) and writes them in hex after a fixed prefix, so a re-execution of the
;; same deal writes the same line and another deal another.
;; Built with: wat2wasm echo.wat -o echo.wasm (wabt 1.0.36)
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; "daoli test job " at 64, 15 bytes; hex digits at 32.
  (data (i32.const 64) "daoli test job ")
  (data (i32.const 32) "0123456789abcdef")
  (func (export "_start")
    (local $i i32)
    (local $b i32)
    ;; 8 random bytes at 0
    (drop (call $random_get (i32.const 0) (i32.const 8)))
    ;; hex after the prefix, at 79
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 8)))
        (local.set $b (i32.load8_u (local.get $i)))
        (i32.store8 (i32.add (i32.const 79) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.add (i32.const 32) (i32.shr_u (local.get $b) (i32.const 4)))))
        (i32.store8 (i32.add (i32.const 80) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.add (i32.const 32) (i32.and (local.get $b) (i32.const 15)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    ;; newline at 95
    (i32.store8 (i32.const 95) (i32.const 10))
    ;; iovec at 16: base 64, length 32
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.const 32))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
)
