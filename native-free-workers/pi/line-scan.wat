;; The line-scan kernel of the line-key scan (line-scan.ts): validates one transcript line as a JSON
;; object, the whole grammar, and records where the members a cold build reads lie.
;;
;; scan(len, stack, out) -> count | -1. The line is at offset 0, [0, len), followed by 16 zero bytes
;; (written by the caller): a zero byte is invalid in every position of the grammar (a raw control byte
;; in a string, no token outside), so a read past the line can only end the scan with -1, and no read
;; needs its own bounds check. `stack` has room for one byte per nesting level (at most len).
;; Returns -1 when the line is not one JSON object (JSON.parse would throw or give a non-object) followed
;; by JSON whitespace; otherwise the number of 5 x i32 records at `out`, one per member whose value ended
;; at depth 1 (a member of the line's object) or at depth 2 inside an object that is such a member's
;; value: (depth, key start, key end, value start, value end) — the key range excludes its quotes, the
;; value range is [start, end); depth has 16 added when the key holds an escape (a backslash). Records come in the order values end, so a member's nested records come
;; just before its own.
;;
;; Strings go 16 bytes at a time (WASM SIMD) to the next quote, backslash or byte < 0x20; escapes are
;; checked as JSON.parse reads them. Build: node scripts/build-wasm.mjs (wabt) -> line-scan-wasm.ts.
;; Edit this file, never the blob.
(module
  (memory (export "memory") 1)

  ;; Set by $string when the string it skipped held an escape.
  (global $escaped (mut i32) (i32.const 0))

  ;; 1 for an ASCII hex digit.
  (func $hex (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; $i is at an opening quote: the offset after the closing quote, or -1.
  (func $string (param $i i32) (result i32)
    (local $p i32) (local $bits i32) (local $v v128) (local $c i32) (local $e i32)
    (local.set $p (i32.add (local.get $i) (i32.const 1)))
    (global.set $escaped (i32.const 0))
    (loop $scan
      (local.set $v (v128.load (local.get $p)))
      (local.set $bits
        (i8x16.bitmask
          (v128.or
            (v128.or
              (i8x16.eq (local.get $v) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))
              (i8x16.eq (local.get $v) (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c)))
            (i8x16.lt_u (local.get $v) (v128.const i8x16 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20)))))
      (if (i32.eqz (local.get $bits))
        (then
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $scan)))
      (local.set $p (i32.add (local.get $p) (i32.ctz (local.get $bits))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (i32.add (local.get $p) (i32.const 1)))))
      (if (i32.ne (local.get $c) (i32.const 0x5c)) (then (return (i32.const -1)))) ;; a raw control byte
      (global.set $escaped (i32.const 1))
      (local.set $e (i32.load8_u offset=1 (local.get $p)))
      (if (i32.eq (local.get $e) (i32.const 0x75))
        (then
          (if (i32.and
                (i32.and (call $hex (i32.load8_u offset=2 (local.get $p))) (call $hex (i32.load8_u offset=3 (local.get $p))))
                (i32.and (call $hex (i32.load8_u offset=4 (local.get $p))) (call $hex (i32.load8_u offset=5 (local.get $p)))))
            (then
              (local.set $p (i32.add (local.get $p) (i32.const 6)))
              (br $scan)))
          (return (i32.const -1))))
      (if (i32.or
            (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x22)) (i32.eq (local.get $e) (i32.const 0x5c)))
                    (i32.or (i32.eq (local.get $e) (i32.const 0x2f)) (i32.eq (local.get $e) (i32.const 0x62))))
            (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x66)) (i32.eq (local.get $e) (i32.const 0x6e)))
                    (i32.or (i32.eq (local.get $e) (i32.const 0x72)) (i32.eq (local.get $e) (i32.const 0x74)))))
        (then
          (local.set $p (i32.add (local.get $p) (i32.const 2)))
          (br $scan)))
      (return (i32.const -1)))
    (i32.const -1))

  ;; 1 for a decimal digit.
  (func $digit (param $c i32) (result i32)
    (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)))

  ;; $i is at `-` or a digit: the offset after a JSON number, or -1.
  (func $number (param $i i32) (result i32)
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2d)) (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x30))
      (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
      (else
        (if (i32.eqz (call $digit (i32.load8_u (local.get $i)))) (then (return (i32.const -1))))
        (loop $int
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $int (call $digit (i32.load8_u (local.get $i)))))))
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2e))
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eqz (call $digit (i32.load8_u (local.get $i)))) (then (return (i32.const -1))))
        (loop $frac
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $frac (call $digit (i32.load8_u (local.get $i)))))))
    (if (i32.eq (i32.or (i32.load8_u (local.get $i)) (i32.const 0x20)) (i32.const 0x65)) ;; e or E
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.or (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2b)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2d)))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
        (if (i32.eqz (call $digit (i32.load8_u (local.get $i)))) (then (return (i32.const -1))))
        (loop $exp
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $exp (call $digit (i32.load8_u (local.get $i)))))))
    (local.get $i))

  ;; 1 for JSON whitespace (space, tab, LF, CR).
  (func $space (param $c i32) (result i32)
    (i32.or
      (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09)))
      (i32.or (i32.eq (local.get $c) (i32.const 0x0a)) (i32.eq (local.get $c) (i32.const 0x0d)))))

  (func $skipSpace (param $i i32) (result i32)
    (block $done
      (loop $ws
        (br_if $done (i32.eqz (call $space (i32.load8_u (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ws)))
    (local.get $i))

  (func (export "scan") (param $len i32) (param $stack i32) (param $out i32) (result i32)
    (local $i i32) (local $c i32) (local $depth i32) (local $state i32) (local $o i32)
    (local $k1s i32) (local $k1e i32) (local $v1s i32) (local $k2s i32) (local $k2e i32) (local $v2s i32)
    (local $ks i32) (local $container i32) (local $d1 i32) (local $d2 i32)
    ;; States: 0 a value is expected; 1 after a value; 2 right after `{`; 3 after `,` in an object;
    ;; 4 right after `[`.
    (local.set $o (local.get $out))
    (local.set $i (call $skipSpace (i32.const 0)))
    ;; $d1 and $d2 hold the record's first field for the key being read at that depth.
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x7b)) (then (return (i32.const -1))))
    (block $closed
      (loop $token
        ;; Whitespace is rare in transcript lines: the call only when the byte could be some (<= 0x20).
        (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20))
          (then (local.set $i (call $skipSpace (local.get $i)))))
        (local.set $c (i32.load8_u (local.get $i)))
        (block $next
          ;; Inside an object, before a key (or the `}` of an empty one).
          (if (i32.or (i32.eq (local.get $state) (i32.const 2)) (i32.eq (local.get $state) (i32.const 3)))
            (then
              (if (i32.and (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $state) (i32.const 2)))
                (then
                  (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $state (i32.const 1))
                  (br $next)))
              (if (i32.ne (local.get $c) (i32.const 0x22)) (then (return (i32.const -1))))
              (local.set $ks (i32.add (local.get $i) (i32.const 1)))
              (local.set $i (call $string (local.get $i)))
              (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const -1))))
              (if (i32.eq (local.get $depth) (i32.const 1))
                (then
                  (local.set $d1 (i32.add (i32.const 1) (i32.shl (global.get $escaped) (i32.const 4))))
                  (local.set $k1s (local.get $ks))
                  (local.set $k1e (i32.sub (local.get $i) (i32.const 1)))))
              (if (i32.eq (local.get $depth) (i32.const 2))
                (then
                  (local.set $d2 (i32.add (i32.const 2) (i32.shl (global.get $escaped) (i32.const 4))))
                  (local.set $k2s (local.get $ks))
                  (local.set $k2e (i32.sub (local.get $i) (i32.const 1)))))
              (local.set $i (call $skipSpace (local.get $i)))
              (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const -1))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $state (i32.const 0))
              (br $token)))
          ;; A value (or the `]` of an empty array).
          (if (i32.or (i32.eqz (local.get $state)) (i32.eq (local.get $state) (i32.const 4)))
            (then
              (if (i32.and (i32.eq (local.get $c) (i32.const 0x5d)) (i32.eq (local.get $state) (i32.const 4)))
                (then
                  (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $state (i32.const 1))
                  (br $next)))
              (if (i32.eq (local.get $depth) (i32.const 1)) (then (local.set $v1s (local.get $i))))
              (if (i32.eq (local.get $depth) (i32.const 2)) (then (local.set $v2s (local.get $i))))
              (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
                (then
                  (i32.store8 (i32.add (local.get $stack) (local.get $depth)) (local.get $c))
                  (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $state (select (i32.const 2) (i32.const 4) (i32.eq (local.get $c) (i32.const 0x7b))))
                  (br $token)))
              (if (i32.eqz (local.get $depth)) (then (return (i32.const -1))))
              (block $scalar
                (if (i32.eq (local.get $c) (i32.const 0x22))
                  (then (local.set $i (call $string (local.get $i))) (br $scalar)))
                (if (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (call $digit (local.get $c)))
                  (then (local.set $i (call $number (local.get $i))) (br $scalar)))
                (if (i32.eq (local.get $c) (i32.const 0x74)) ;; true
                  (then
                    (if (i32.ne (i32.load (local.get $i)) (i32.const 0x65757274)) (then (return (i32.const -1))))
                    (local.set $i (i32.add (local.get $i) (i32.const 4)))
                    (br $scalar)))
                (if (i32.eq (local.get $c) (i32.const 0x6e)) ;; null
                  (then
                    (if (i32.ne (i32.load (local.get $i)) (i32.const 0x6c6c756e)) (then (return (i32.const -1))))
                    (local.set $i (i32.add (local.get $i) (i32.const 4)))
                    (br $scalar)))
                (if (i32.eq (local.get $c) (i32.const 0x66)) ;; false
                  (then
                    (if (i32.ne (i32.load offset=1 (local.get $i)) (i32.const 0x65736c61)) (then (return (i32.const -1))))
                    (local.set $i (i32.add (local.get $i) (i32.const 5)))
                    (br $scalar)))
                (return (i32.const -1)))
              (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const -1))))
              (local.set $state (i32.const 1))
              (br $next)))
          ;; After a value: `,` or the end of its container.
          (local.set $container (i32.load8_u (i32.sub (i32.add (local.get $stack) (local.get $depth)) (i32.const 1))))
          (if (i32.eq (local.get $c) (i32.const 0x2c))
            (then
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $state (select (i32.const 3) (i32.const 0) (i32.eq (local.get $container) (i32.const 0x7b))))
              (br $token)))
          (if (i32.eq (local.get $c) (i32.add (local.get $container) (i32.const 2))) ;; `}` for `{`, `]` for `[`
            (then
              (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
          (return (i32.const -1)))
        ;; A value just ended at $i (state 1): record the members at depth 1, and at depth 2 in an object
        ;; that is a member's value.
        (br_if $closed (i32.eqz (local.get $depth)))
        (if (i32.eq (local.get $depth) (i32.const 1))
          (then
            (i32.store (local.get $o) (local.get $d1))
            (i32.store offset=4 (local.get $o) (local.get $k1s))
            (i32.store offset=8 (local.get $o) (local.get $k1e))
            (i32.store offset=12 (local.get $o) (local.get $v1s))
            (i32.store offset=16 (local.get $o) (local.get $i))
            (local.set $o (i32.add (local.get $o) (i32.const 20)))))
        (if (i32.and (i32.eq (local.get $depth) (i32.const 2))
                     (i32.eq (i32.load8_u offset=1 (local.get $stack)) (i32.const 0x7b)))
          (then
            (i32.store (local.get $o) (local.get $d2))
            (i32.store offset=4 (local.get $o) (local.get $k2s))
            (i32.store offset=8 (local.get $o) (local.get $k2e))
            (i32.store offset=12 (local.get $o) (local.get $v2s))
            (i32.store offset=16 (local.get $o) (local.get $i))
            (local.set $o (i32.add (local.get $o) (i32.const 20)))))
        (br $token)))
    ;; Only whitespace may follow the object.
    (if (i32.ne (call $skipSpace (local.get $i)) (local.get $len)) (then (return (i32.const -1))))
    (i32.div_u (i32.sub (local.get $o) (local.get $out)) (i32.const 20))))
