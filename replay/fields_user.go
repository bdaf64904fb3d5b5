package replay

import "github.com/retrace-dev/retrace/engine"

// userFields returns the user.* and group.* fields.
func userFields() []def {
	user := func(f func(u *User) string) extractFn {
		return thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			u, ok := e.state.Users.User(t.UID)
			if !ok {
				return d
			}
			return str(d, sb(f(u)))
		})
	}
	return []def{
		{name: "user.uid", typ: engine.TypeUint64, desc: "User id of the process (4294967295 when unknown).", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(t.UID))
		})},
		{name: "user.name", typ: engine.TypeString, desc: "User name of the process, from the capture's user list.", ex: user(func(u *User) string { return u.Name })},
		{name: "user.homedir", typ: engine.TypeString, desc: "Home directory of the process's user.", ex: user(func(u *User) string { return u.HomeDir })},
		{name: "user.shell", typ: engine.TypeString, desc: "Login shell of the process's user.", ex: user(func(u *User) string { return u.Shell })},
		{name: "user.loginuid", typ: engine.TypeInt64, desc: "Audit user id (the uid the session logged in as); -1 when unset.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			if t.LoginUID == noID {
				return i64(d, -1)
			}
			return i64(d, int64(t.LoginUID))
		})},
		{name: "user.loginname", typ: engine.TypeString, desc: "Name of the audit user id.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			u, ok := e.state.Users.User(t.LoginUID)
			if !ok {
				return d
			}
			return str(d, sb(u.Name))
		})},
		{name: "group.gid", typ: engine.TypeUint64, desc: "Group id of the process (4294967295 when unknown).", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			return num(d, uint64(t.GID))
		})},
		{name: "group.name", typ: engine.TypeString, desc: "Group name of the process, from the capture's group list.", ex: thr(func(e *Event, t *Thread, d []engine.Value) []engine.Value {
			g, ok := e.state.Users.Group(t.GID)
			if !ok {
				return d
			}
			return str(d, sb(g.Name))
		})},
	}
}
