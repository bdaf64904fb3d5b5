# A file is created below /bin on the host, then removed.
f=/bin/retrace-attack-dropped
echo '#!/bin/sh' > "$f"
rm -f "$f"
