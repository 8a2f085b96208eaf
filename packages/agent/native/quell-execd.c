/*
 * quell-execd: asks the Quell agent (its parent) whether each exec on the marked mounts may
 * proceed, using fanotify permission events (FAN_OPEN_EXEC_PERM).
 *
 * Usage: quell-execd [--timeout-ms N] MOUNT...
 *
 * Protocol (one line each, fields separated by TAB):
 *   helper -> agent: "ready"  once every mark is in place
 *                    "<id> <pid> <fd> <dev> <ino> <size> <mtime_ns> <ctime_ns> <path>"
 *                    The agent reads the content through /proc/<helper pid>/fd/<fd>, which stays
 *                    open until the answer (or the deadline), so it hashes exactly the inode
 *                    being executed. The path has '\\', TAB and newline escaped as \\ \t \n.
 *   agent -> helper: "<id> allow" or "<id> deny"
 *
 * Fail open, always: the kernel blocks the exec until we answer, so every way this helper can
 * stop answering must end in "allow". No answer before the deadline: allow (reported on
 * stderr). Agent gone (stdin EOF, or stdout closed): exit without answering; closing the
 * fanotify group makes the kernel allow every pending event. Too many pending events, or the
 * agent not reading stdout: allow.
 *
 * The agent's own freshly forked children are allowed without asking: libuv's spawn blocks the
 * agent's event loop until the child's execve returns, so asking the agent would deadlock it
 * for the whole deadline. "Freshly forked" means parent == agent and /proc/<pid>/exe is still
 * the agent's executable (the permission check runs before the new image replaces it), so a
 * chain like `env ./dropped` is still checked at its second exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PENDING 1024
#define OUT_CAP (256 * 1024)
/* Longest request line: 8 numbers, 8 separators, an escaped path (at most 2 bytes per byte). */
#define MAX_LINE (8 * 21 + 8 + 2 * PATH_MAX + 2)
#define IN_CAP 4096
#define EVENT_BUF 8192

struct pending {
  uint64_t id;
  int fd;
  int64_t deadline_ms;
};

static struct pending pending[MAX_PENDING];
static size_t npending;
static char outbuf[OUT_CAP];
static size_t outlen;
static char inbuf[IN_CAP];
static size_t inlen;
static int fan_fd = -1;
static uint64_t next_id;
static struct stat agent_exe;
static int have_agent_exe;

static void warnf(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  /* stderr is non-blocking: a diagnostic is dropped rather than stalling every exec. */
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void respond(int fd, uint32_t verdict) {
  struct fanotify_response r = {.fd = fd, .response = verdict};
  while (write(fan_fd, &r, sizeof r) < 0) {
    if (errno == EINTR) continue;
    /* ENOENT: the kernel no longer waits for this event (the process died); nothing to do. */
    if (errno != ENOENT) warnf("quell-execd: answering event fd %d: %s", fd, strerror(errno));
    break;
  }
  close(fd);
}

static void drop_pending(size_t i) { pending[i] = pending[--npending]; }

/* True for the agent's own child that has not yet replaced the agent's image (see top). */
static int is_agent_fresh_child(pid_t pid) {
  if (!have_agent_exe) return 0;
  char p[64], buf[512];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: the state follows the last ')'. */
  char *rp = strrchr(buf, ')');
  char state;
  int ppid;
  if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2) return 0;
  if (ppid != (int)getppid()) return 0;
  struct stat st;
  snprintf(p, sizeof p, "/proc/%d/exe", (int)pid);
  if (stat(p, &st) < 0) return 0;
  return st.st_dev == agent_exe.st_dev && st.st_ino == agent_exe.st_ino;
}

static size_t escape_path(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (; *in && o + 2 < cap; in++) {
    if (*in == '\\' || *in == '\t' || *in == '\n') {
      out[o++] = '\\';
      out[o++] = *in == '\t' ? 't' : *in == '\n' ? 'n' : '\\';
    } else {
      out[o++] = *in;
    }
  }
  out[o] = '\0';
  return o;
}

static void flush_out(void) {
  while (outlen > 0) {
    ssize_t w = write(STDOUT_FILENO, outbuf, outlen);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      /* EPIPE: the agent is gone; the kernel allows what is pending once we exit. */
      exit(0);
    }
    memmove(outbuf, outbuf + w, outlen - (size_t)w);
    outlen -= (size_t)w;
  }
}

static void handle_event(const struct fanotify_event_metadata *m, int64_t timeout_ms) {
  if (m->fd < 0) return; /* queue overflow notice: permission events are never dropped */
  if (!(m->mask & FAN_OPEN_EXEC_PERM)) {
    close(m->fd);
    return;
  }
  if (is_agent_fresh_child(m->pid)) {
    respond(m->fd, FAN_ALLOW);
    return;
  }
  static char line[MAX_LINE];
  char link[64], path[PATH_MAX], esc[2 * PATH_MAX + 1];
  struct stat st;
  snprintf(link, sizeof link, "/proc/self/fd/%d", m->fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0 || fstat(m->fd, &st) < 0) {
    warnf("quell-execd: cannot inspect exec by pid %d (%s), allowed", (int)m->pid, strerror(errno));
    respond(m->fd, FAN_ALLOW);
    return;
  }
  path[n] = '\0';
  escape_path(path, esc, sizeof esc);
  uint64_t id = ++next_id;
  int len = snprintf(line, sizeof line,
                     "%" PRIu64 "\t%d\t%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRId64 "\t%" PRId64 "%09ld\t%" PRId64
                     "%09ld\t%s\n",
                     id, (int)m->pid, m->fd, (uint64_t)st.st_dev, (uint64_t)st.st_ino, (int64_t)st.st_size,
                     (int64_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (int64_t)st.st_ctim.tv_sec,
                     st.st_ctim.tv_nsec, esc);
  if (npending == MAX_PENDING || len < 0 || (size_t)len > sizeof outbuf - outlen) {
    warnf("quell-execd: agent is not keeping up; exec of %s by pid %d allowed", path, (int)m->pid);
    respond(m->fd, FAN_ALLOW);
    return;
  }
  memcpy(outbuf + outlen, line, (size_t)len);
  outlen += (size_t)len;
  pending[npending++] = (struct pending){.id = id, .fd = m->fd, .deadline_ms = now_ms() + timeout_ms};
}

static void read_events(int64_t timeout_ms) {
  /* Aligned for the metadata structs the kernel writes into it. */
  static char buf[EVENT_BUF] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
  for (;;) {
    ssize_t n = read(fan_fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      warnf("quell-execd: reading fanotify events: %s", strerror(errno));
      exit(3);
    }
    const struct fanotify_event_metadata *m = (const struct fanotify_event_metadata *)buf;
    for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
      if (m->vers != FANOTIFY_METADATA_VERSION) {
        warnf("quell-execd: fanotify metadata version %u, expected %u", m->vers, FANOTIFY_METADATA_VERSION);
        exit(3);
      }
      handle_event(m, timeout_ms);
    }
  }
}

static void handle_answer(char *line) {
  char *tab = strchr(line, '\t');
  if (!tab) {
    warnf("quell-execd: ignoring malformed answer");
    return;
  }
  *tab = '\0';
  char *end;
  errno = 0;
  uint64_t id = strtoull(line, &end, 10);
  const char *verdict = tab + 1;
  int allow = strcmp(verdict, "allow") == 0;
  if (errno || *end || (!allow && strcmp(verdict, "deny") != 0)) {
    warnf("quell-execd: ignoring malformed answer");
    return;
  }
  for (size_t i = 0; i < npending; i++) {
    if (pending[i].id != id) continue;
    respond(pending[i].fd, allow ? FAN_ALLOW : FAN_DENY);
    drop_pending(i);
    return;
  }
  /* Not pending: it was answered at its deadline already. */
}

static void read_answers(void) {
  for (;;) {
    ssize_t n = read(STDIN_FILENO, inbuf + inlen, sizeof inbuf - inlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      exit(0);
    }
    /* The agent is gone: exit without answering; the kernel allows what is pending. */
    if (n == 0) exit(0);
    inlen += (size_t)n;
    char *start = inbuf, *nl;
    while ((nl = memchr(start, '\n', inlen - (size_t)(start - inbuf)))) {
      *nl = '\0';
      handle_answer(start);
      start = nl + 1;
    }
    inlen -= (size_t)(start - inbuf);
    memmove(inbuf, start, inlen);
    if (inlen == sizeof inbuf) inlen = 0; /* a line longer than any answer: discard it */
  }
}

static void expire(int64_t now) {
  for (size_t i = 0; i < npending;) {
    if (pending[i].deadline_ms > now) {
      i++;
      continue;
    }
    warnf("quell-execd: timeout: no answer for event %" PRIu64 ", allowed", pending[i].id);
    respond(pending[i].fd, FAN_ALLOW);
    drop_pending(i);
  }
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int main(int argc, char **argv) {
  int64_t timeout_ms = 3000;
  int first = 1;
  if (argc > 2 && strcmp(argv[1], "--timeout-ms") == 0) {
    char *end;
    long v = strtol(argv[2], &end, 10);
    if (*end || v < 1 || v > 600000) {
      warnf("quell-execd: --timeout-ms must be 1..600000");
      return 2;
    }
    timeout_ms = v;
    first = 3;
  }
  if (first >= argc) {
    warnf("usage: quell-execd [--timeout-ms N] MOUNT...");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Belt and braces with the stdin EOF rule: never outlive the agent. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0;

  char p[64];
  snprintf(p, sizeof p, "/proc/%d/exe", (int)getppid());
  have_agent_exe = stat(p, &agent_exe) == 0;

  fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan_fd < 0) {
    warnf("quell-execd: fanotify_init: %s (needs CAP_SYS_ADMIN and a kernel with "
          "CONFIG_FANOTIFY_ACCESS_PERMISSIONS)",
          strerror(errno));
    return 1;
  }
  for (int i = first; i < argc; i++) {
    if (fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM, AT_FDCWD, argv[i]) < 0) {
      warnf("quell-execd: fanotify_mark %s: %s", argv[i], strerror(errno));
      return 1;
    }
  }
  set_nonblock(STDIN_FILENO);
  set_nonblock(STDOUT_FILENO);
  set_nonblock(STDERR_FILENO);
  memcpy(outbuf, "ready\n", 6);
  outlen = 6;
  flush_out();

  for (;;) {
    int64_t now = now_ms();
    expire(now);
    int wait = -1;
    for (size_t i = 0; i < npending; i++) {
      int64_t left = pending[i].deadline_ms - now;
      if (wait < 0 || left < wait) wait = (int)(left < 0 ? 0 : left);
    }
    struct pollfd fds[3] = {
        {.fd = fan_fd, .events = POLLIN},
        {.fd = STDIN_FILENO, .events = POLLIN},
        {.fd = STDOUT_FILENO, .events = outlen ? POLLOUT : 0},
    };
    if (poll(fds, 3, wait) < 0) {
      if (errno == EINTR) continue;
      warnf("quell-execd: poll: %s", strerror(errno));
      return 3;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) read_answers();
    if (fds[0].revents & POLLIN) read_events(timeout_ms);
    if (fds[2].revents & (POLLERR | POLLHUP)) return 0;
    if (outlen) flush_out();
  }
}
