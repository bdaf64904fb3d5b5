package replay

// resolvePath appends to dst the absolute, normalized form of p: p itself
// when absolute, else base (a directory, normally with a trailing slash)
// joined with p. "." and ".." components and repeated slashes are removed,
// as libsinsp's path concatenation does; ".." never climbs above "/".
func resolvePath(dst, base, p []byte) []byte {
	start := len(dst)
	dst = append(dst, '/')
	if len(p) == 0 || p[0] != '/' {
		dst = appendComponents(dst, start, base)
	}
	dst = appendComponents(dst, start, p)
	return dst
}

// appendComponents appends the components of path to dst[start:] (which
// begins with '/'), applying "." and "..".
func appendComponents(dst []byte, start int, path []byte) []byte {
	for len(path) > 0 {
		i := 0
		for i < len(path) && path[i] != '/' {
			i++
		}
		comp := path[:i]
		if i < len(path) {
			path = path[i+1:]
		} else {
			path = path[len(path):]
		}
		switch {
		case len(comp) == 0 || len(comp) == 1 && comp[0] == '.':
			continue
		case len(comp) == 2 && comp[0] == '.' && comp[1] == '.':
			// drop the last component
			j := len(dst) - 1
			if j > start && dst[j] == '/' {
				j--
			}
			for j > start && dst[j] != '/' {
				j--
			}
			dst = dst[:j+1]
			continue
		}
		if dst[len(dst)-1] != '/' {
			dst = append(dst, '/')
		}
		dst = append(dst, comp...)
	}
	return dst
}
