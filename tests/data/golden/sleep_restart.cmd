strace -tt -o sleep_restart.strace -- sleep 1.5
