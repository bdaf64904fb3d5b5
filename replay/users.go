package replay

// User is one entry of the capture's user list.
type User struct {
	UID     uint32
	GID     uint32
	Name    string
	HomeDir string
	Shell   string
}

// Group is one entry of the capture's group list.
type Group struct {
	GID  uint32
	Name string
}

// UserTable holds the users and groups of the recorded host.
type UserTable struct {
	users  map[uint32]*User
	groups map[uint32]*Group
}

// newUserTable returns an empty table.
func newUserTable() *UserTable {
	return &UserTable{users: map[uint32]*User{}, groups: map[uint32]*Group{}}
}

// AddUser adds or replaces a user.
func (u *UserTable) AddUser(x User) { u.users[x.UID] = &x }

// AddGroup adds or replaces a group.
func (u *UserTable) AddGroup(x Group) { u.groups[x.GID] = &x }

// User returns the user with this uid.
func (u *UserTable) User(uid uint32) (*User, bool) {
	x, ok := u.users[uid]
	return x, ok
}

// Group returns the group with this gid.
func (u *UserTable) Group(gid uint32) (*Group, bool) {
	x, ok := u.groups[gid]
	return x, ok
}
