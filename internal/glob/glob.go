package glob

// Match reports whether name matches pattern like fnmatch(3) with no
// flags, or with FNM_CASEFOLD when fold is set (ASCII letters then match
// regardless of case): '*' matches any sequence (including '/'), '?' any
// single byte, '[...]' a bracket expression ('!' or '^' negates, ranges
// with '-', '\' escapes inside it), and '\' escapes the next byte (a
// trailing '\' matches itself). An unterminated '[' matches itself. It
// works on strings and byte slices alike, does not allocate and runs in
// O(len(pattern)*len(name)) at worst.
func Match[S ~string | ~[]byte](pattern, name S, fold bool) bool {
	px, nx := 0, 0
	starPx, starNx := -1, -1
	for px < len(pattern) || nx < len(name) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				if nx < len(name) {
					px++
					nx++
					continue
				}
			case '[':
				if nx < len(name) {
					if ok, end, valid := matchBracket(pattern, px, name[nx], fold); valid {
						if ok {
							px = end
							nx++
							continue
						}
						break
					}
				}
				// An unterminated bracket is a literal '['.
				if nx < len(name) && name[nx] == '[' && !bracketValid(pattern, px) {
					px++
					nx++
					continue
				}
			case '\\':
				lit := byte('\\')
				step := 1
				if px+1 < len(pattern) {
					lit, step = pattern[px+1], 2
				}
				if nx < len(name) && eqFold(lit, name[nx], fold) {
					px += step
					nx++
					continue
				}
			default:
				if nx < len(name) && eqFold(c, name[nx], fold) {
					px++
					nx++
					continue
				}
			}
		}
		if starPx >= 0 && starNx < len(name) {
			starNx++
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}

func eqFold(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	return fold && lowerASCII(a) == lowerASCII(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// bracketValid reports whether the bracket expression at pattern[px] has a
// closing ']'.
func bracketValid[S ~string | ~[]byte](pattern S, px int) bool {
	_, _, valid := matchBracket(pattern, px, 0, false)
	return valid
}

// matchBracket matches c against the bracket expression starting at
// pattern[px] == '['. It returns whether c matched, the index after the
// closing ']', and whether the expression was terminated.
func matchBracket[S ~string | ~[]byte](pattern S, px int, c byte, fold bool) (matched bool, end int, valid bool) {
	i := px + 1
	neg := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		neg = true
		i++
	}
	first := true
	for i < len(pattern) {
		if pattern[i] == ']' && !first {
			return matched != neg, i + 1, true
		}
		first = false
		lo := pattern[i]
		if lo == '\\' && i+1 < len(pattern) {
			i++
			lo = pattern[i]
		}
		i++
		hi := lo
		if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
			hi = pattern[i+1]
			if hi == '\\' && i+2 < len(pattern) {
				i++
				hi = pattern[i+1]
			}
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		} else if fold {
			lc := lowerASCII(c)
			uc := lc
			if lc >= 'a' && lc <= 'z' {
				uc = lc - 'a' + 'A'
			}
			if (lo <= lc && lc <= hi) || (lo <= uc && uc <= hi) {
				matched = true
			}
		}
	}
	return false, 0, false
}
