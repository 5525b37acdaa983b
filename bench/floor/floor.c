/* The physical floor for a credential_process client: connect to the vouch agent's Unix socket (argv[1]), send one
 * request line (argv[2] plus '\n'), copy the one-line answer to stdout, exit. No checks, no JSON: only the syscalls
 * any client must make. Built by bench/cli.sh with clang -O2. */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return 64;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return 1;
    size_t length = strlen(argv[2]);
    char request[length + 1];
    memcpy(request, argv[2], length);
    request[length] = '\n';
    if (write(fd, request, length + 1) != (ssize_t)(length + 1)) return 1;
    char answer[65536];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, answer + used, sizeof answer - used);
        if (n <= 0) return 1;
        used += (size_t)n;
        if (memchr(answer + used - n, '\n', (size_t)n) || used == sizeof answer) break;
    }
    return write(STDOUT_FILENO, answer, used) == (ssize_t)used ? 0 : 1;
}
