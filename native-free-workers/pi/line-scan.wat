;; The line-scan kernel of the line-key scan (line-scan.ts): validates one transcript line as a JSON
;; object, the whole grammar, and says where the values of a few tracked members lie.
;;
;; scan(start, len, stack, out, keys) -> 0 | -1 | -3. The line is [start, start + len), followed by a zero
;; byte or a `\n` (the caller's part: a line reader's chunk has the line's `\n` there, a copied line gets
;; zeros), and 16 more bytes of memory. Neither byte is valid inside a string or a token, so a string or
;; number read past the line ends there and fails; whitespace and the token walk are bounded by the line's
;; end. `stack` has room for one byte per nesting level (at most len). `keys` is the table of tracked keys
;; (line-scan.ts writes it): keys+0 count of top-level keys, keys+4 the top key whose object value holds
;; the nested key, keys+8 / keys+12 the nested key's length / offset from `keys`, keys+16+8k / keys+20+8k
;; top key k's length / offset from `keys`.
;; Results at `out`, as i32 pairs [value start, value end) relative to `start`, -1/-1 when absent: pair k
;; for top key k (the last duplicate wins, as in JSON.parse), then the nested key's pair, from the object
;; that is the last such top member's value (the last duplicate in it). Returns -1 when the line is not one
;; JSON object followed by JSON whitespace (JSON.parse would throw or give a non-object), -3 when a key at
;; a tracked level (top level, or in the nested object) is spelled with a backslash (the caller decodes
;; those), else 0.
;;
;; Strings go 16 bytes at a time (WASM SIMD) to the next quote, backslash or byte < 0x20; escapes are
;; checked as JSON.parse reads them. Keys are compared here, so the caller reads a few ranges per line.
;; (A simdjson-style stage 1 — 64-byte bitmasks of quotes, backslashes and structural bytes, then a walk
;; of the structural bytes only — was measured slower on transcripts under V8 11.3: ~1.4x this walk's
;; time, the per-block mask work and the walk's unpredictable branches costing more than this walk's
;; string skipping saves.)
;;
;; Build: node scripts/build-wasm.mjs (wabt) -> line-scan-wasm.ts. Edit this file, never the blob.
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

  ;; The offset of the first byte at or after $i that is not JSON whitespace, at most $end.
  (func $skipSpace (param $i i32) (param $end i32) (result i32)
    (block $done
      (loop $ws
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $done (i32.eqz (call $space (i32.load8_u (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ws)))
    (local.get $i))

  ;; 1 when the key bytes [$s, $s + $n) equal the $len bytes at $k.
  (func $same (param $s i32) (param $n i32) (param $k i32) (param $len i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $n) (local.get $len)) (then (return (i32.const 0))))
    (block $no
      (loop $each
        (br_if $no (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $s) (local.get $i))) (i32.load8_u (i32.add (local.get $k) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 1))

  ;; The index of the tracked top key the key bytes [$s, $e) spell, or -1.
  (func $slot (param $s i32) (param $e i32) (param $keys i32) (result i32)
    (local $k i32) (local $entry i32)
    (block $none
      (loop $each
        (br_if $none (i32.ge_u (local.get $k) (i32.load (local.get $keys))))
        (local.set $entry (i32.add (local.get $keys) (i32.add (i32.const 16) (i32.shl (local.get $k) (i32.const 3)))))
        ;; Lengths first: most keys differ from every tracked one in length.
        (if (i32.eq (i32.load (local.get $entry)) (i32.sub (local.get $e) (local.get $s)))
          (then
            (if (call $same (local.get $s) (i32.sub (local.get $e) (local.get $s))
                            (i32.add (local.get $keys) (i32.load offset=4 (local.get $entry))) (i32.load (local.get $entry)))
              (then (return (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each)))
    (i32.const -1))

  (func (export "scan") (param $start i32) (param $len i32) (param $stack i32) (param $out i32) (param $keys i32) (result i32)
    (local $i i32) (local $c i32) (local $depth i32) (local $state i32) (local $end i32) (local $k i32)
    (local $v1s i32) (local $v2s i32) (local $ks i32) (local $container i32)
    (local $slot i32) (local $parent i32) (local $nested i32) (local $ps i32) (local $pe i32) (local $nestedOut i32)
    ;; States: 0 a value is expected; 1 after a value; 2 right after `{`; 3 after `,` in an object;
    ;; 4 right after `[`.
    ;; No value found yet: every pair -1/-1.
    (loop $clear
      (i64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))) (i64.const -1))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $clear (i32.le_u (local.get $k) (i32.load (local.get $keys)))))
    (local.set $nestedOut (i32.add (local.get $out) (i32.shl (i32.load (local.get $keys)) (i32.const 3))))
    (local.set $parent (i32.load offset=4 (local.get $keys)))
    ;; $slot: the tracked top key whose value is being read (-1: none). $nested: the value being read
    ;; at depth 2 is the nested key's, in the object of the parent key; [$ps, $pe) the last one found.
    (local.set $slot (i32.const -1))
    (local.set $ps (i32.const -1))
    (local.set $pe (i32.const -1))
    (local.set $end (i32.add (local.get $start) (local.get $len)))
    (local.set $i (call $skipSpace (local.get $start) (local.get $end)))
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x7b)) (then (return (i32.const -1))))
    (block $closed
      (loop $token
        ;; Whitespace is rare in transcript lines: the call only when the byte could be some (<= 0x20).
        (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20))
          (then (local.set $i (call $skipSpace (local.get $i) (local.get $end)))))
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
                  (if (global.get $escaped) (then (return (i32.const -3))))
                  (local.set $slot (call $slot (local.get $ks) (i32.sub (local.get $i) (i32.const 1)) (local.get $keys)))
                  (if (i32.and (i32.ge_s (local.get $slot) (i32.const 0)) (i32.eq (local.get $slot) (local.get $parent)))
                    (then ;; a later duplicate of the parent key: its own object's nested value, or none
                      (local.set $ps (i32.const -1))
                      (local.set $pe (i32.const -1))))))
              (if (i32.and
                    (i32.and (i32.eq (local.get $depth) (i32.const 2)) (i32.ge_s (local.get $slot) (i32.const 0)))
                    (i32.and (i32.eq (local.get $slot) (local.get $parent)) (i32.eq (i32.load8_u offset=1 (local.get $stack)) (i32.const 0x7b))))
                (then
                  (if (global.get $escaped) (then (return (i32.const -3))))
                  (local.set $nested
                    (call $same (local.get $ks) (i32.sub (i32.sub (local.get $i) (i32.const 1)) (local.get $ks))
                      (i32.add (local.get $keys) (i32.load offset=12 (local.get $keys))) (i32.load offset=8 (local.get $keys))))))
              (local.set $i (call $skipSpace (local.get $i) (local.get $end)))
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
        ;; A value just ended at $i (state 1): a tracked top member's, or the nested key's.
        (br_if $closed (i32.eqz (local.get $depth)))
        (if (i32.eq (local.get $depth) (i32.const 1))
          (then
            (if (i32.ge_s (local.get $slot) (i32.const 0))
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $slot) (i32.const 3))) (i32.sub (local.get $v1s) (local.get $start)))
                (i32.store offset=4 (i32.add (local.get $out) (i32.shl (local.get $slot) (i32.const 3))) (i32.sub (local.get $i) (local.get $start)))
                (if (i32.eq (local.get $slot) (local.get $parent))
                  (then
                    (i32.store (local.get $nestedOut) (local.get $ps))
                    (i32.store offset=4 (local.get $nestedOut) (local.get $pe))))))
            (local.set $slot (i32.const -1))))
        (if (i32.and (i32.eq (local.get $depth) (i32.const 2)) (local.get $nested))
          (then
            (local.set $ps (i32.sub (local.get $v2s) (local.get $start)))
            (local.set $pe (i32.sub (local.get $i) (local.get $start)))
            (local.set $nested (i32.const 0))))
        (br $token)))
    ;; Only whitespace may follow the object.
    (if (i32.ne (call $skipSpace (local.get $i) (local.get $end)) (local.get $end)) (then (return (i32.const -1))))
    (i32.const 0)))
