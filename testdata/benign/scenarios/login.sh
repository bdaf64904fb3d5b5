# A login: root switches to the nobody user with a login shell
# (su - nobody -s /bin/sh -c id), under script so it has a terminal.
script -qc "su - nobody -s /bin/sh -c id" /dev/null > /dev/null
