;; The string-stops kernel of the line-key scan (string-stops.ts). For the line src[0, len), writes to
;; `out` (i32 each, offsets from src, ascending) every quote (0x22) and raw control byte (< 0x20) that is
;; not part of a valid escape, and every backslash that starts an invalid escape; then len as a
;; sentinel. Returns the count without the sentinel.
;;
;; Escapes are read left to right from the start of the line, as JSON.parse reads them inside a string:
;; a backslash followed by one of "\/bfnrt, or by u and four hex digits, is valid and its bytes are no
;; stops (so \" and \\ neither end a string nor start another escape). Backslashes outside strings are
;; invalid JSON; the scan in JS fails on them before it could rely on a stop after them.
;;
;; 16 bytes per step (WASM SIMD): one compare per byte kind, one bitmask, then one iteration per set bit.
;; Needs 15 readable bytes past src+len (the last block is loaded whole; its bits past len are masked,
;; and an escape is never read past len).
;; Build: node scripts/build-wasm.mjs (wabt) -> string-stops-wasm.ts. Edit this file, never the blob.
(module
  (memory (export "memory") 1)

  ;; 1 when the byte at $a (before $end) is an ASCII hex digit.
  (func $hex (param $a i32) (param $end i32) (result i32)
    (local $c i32)
    (if (i32.ge_u (local.get $a) (local.get $end)) (then (return (i32.const 0))))
    (local.set $c (i32.load8_u (local.get $a)))
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; The offset after a valid escape whose backslash is at $a, or 0 when it is invalid.
  (func $escape (param $a i32) (param $end i32) (result i32)
    (local $e i32)
    (if (i32.ge_u (i32.add (local.get $a) (i32.const 1)) (local.get $end)) (then (return (i32.const 0))))
    (local.set $e (i32.load8_u offset=1 (local.get $a)))
    (if (i32.eq (local.get $e) (i32.const 0x75)) ;; u: four hex digits
      (then
        (if (i32.and
              (i32.and (call $hex (i32.add (local.get $a) (i32.const 2)) (local.get $end))
                       (call $hex (i32.add (local.get $a) (i32.const 3)) (local.get $end)))
              (i32.and (call $hex (i32.add (local.get $a) (i32.const 4)) (local.get $end))
                       (call $hex (i32.add (local.get $a) (i32.const 5)) (local.get $end))))
          (then (return (i32.add (local.get $a) (i32.const 6)))))
        (return (i32.const 0))))
    (if (i32.or
          (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x22)) (i32.eq (local.get $e) (i32.const 0x5c)))
                  (i32.or (i32.eq (local.get $e) (i32.const 0x2f)) (i32.eq (local.get $e) (i32.const 0x62))))
          (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x66)) (i32.eq (local.get $e) (i32.const 0x6e)))
                  (i32.or (i32.eq (local.get $e) (i32.const 0x72)) (i32.eq (local.get $e) (i32.const 0x74)))))
      (then (return (i32.add (local.get $a) (i32.const 2)))))
    (i32.const 0))

  (func (export "stops") (param $src i32) (param $len i32) (param $out i32) (result i32)
    (local $p i32) (local $end i32) (local $bits i32) (local $o i32) (local $v v128)
    (local $at i32) (local $skip i32) (local $after i32)
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (local.set $o (local.get $out))
    (local.set $skip (local.get $src)) ;; bytes before $skip belong to a valid escape
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $bits
          (i8x16.bitmask
            (v128.or
              (v128.or
                (i8x16.eq (local.get $v) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))
                (i8x16.eq (local.get $v) (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c)))
              (i8x16.lt_u (local.get $v) (v128.const i8x16 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20)))))
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16))
          (then
            (local.set $bits
              (i32.and (local.get $bits)
                (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $p))) (i32.const 1))))))
        (block $none
          (loop $each
            (br_if $none (i32.eqz (local.get $bits)))
            (local.set $at (i32.add (local.get $p) (i32.ctz (local.get $bits))))
            (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
            (br_if $each (i32.lt_u (local.get $at) (local.get $skip)))
            (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 0x5c))
              (then
                (local.set $after (call $escape (local.get $at) (local.get $end)))
                (if (local.get $after)
                  (then
                    (local.set $skip (local.get $after))
                    (br $each)))))
            (i32.store (local.get $o) (i32.sub (local.get $at) (local.get $src)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $each)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (i32.store (local.get $o) (local.get $len))
    (i32.shr_u (i32.sub (local.get $o) (local.get $out)) (i32.const 2))))
