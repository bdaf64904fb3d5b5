# A web server (busybox httpd, run through a symlink named httpd) runs a CGI
# script that spawns a shell (sh -c id), as a web shell would; a client
# fetches the script over loopback.
port=44446
srvdir=/tmp/retrace-httpd
www=/tmp/retrace-www
trap 'kill "$srv" 2>/dev/null || true; rm -rf "$srvdir" "$www"' EXIT
mkdir -p "$srvdir" "$www/cgi-bin"
ln -sf /bin/busybox "$srvdir/httpd"
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\nsh -c id\n' > "$www/cgi-bin/run.cgi"
chmod 755 "$www/cgi-bin/run.cgi"
"$srvdir/httpd" -f -p "127.0.0.1:$port" -h "$www" &
srv=$!
sleep 0.5
for try in 1 2 3 4 5; do
	busybox wget -q -O - "http://127.0.0.1:$port/cgi-bin/run.cgi" > /dev/null && break
	sleep 0.5
done
kill "$srv"
wait "$srv" 2>/dev/null || true
