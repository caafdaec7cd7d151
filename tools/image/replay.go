package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Replay builds the files of a Dockerfile target without Docker: each stage is a directory
// standing for its root filesystem (a base image contributes nothing), WORKDIR and COPY act on
// it, and RUN runs the stage's shell command on this machine with the working directory mapped
// into it. What a base image would provide (Node, npm, a shell) comes from this machine. RUN
// steps are cached like BuildKit's layers: keyed by everything before them, the stage directory
// after each is kept as a hard-linked snapshot and reused while nothing it depends on changed.
//
// RUN commands that only administer the base image's operating system (user accounts) are
// reported and skipped; any instruction the replay does not model fails it, so the Dockerfile
// cannot grow a step the check silently ignores.
var systemCommands = map[string]bool{"groupadd": true, "useradd": true}

type replayStage struct {
	// A cached snapshot the directory still has to be restored from before its next change.
	pending  string
	npmCache string
	name     string
	root     string
	key      string
	env      []string
	dir      string
	config   ImageConfig
}

// ImageConfig is what the target's image would run with, for the entrypoint checks.
type ImageConfig struct {
	Root       string   `json:"root"`
	WorkingDir string   `json:"workingDir"`
	User       string   `json:"user"`
	Env        []string `json:"env"`
	Cmd        []string `json:"cmd"`
	Skipped    []string `json:"skipped"`
}

func replay(file, target, contextDir, workDir string) error {
	// npm resolves a relative cache path against each RUN's working directory.
	contextDir, err := filepath.Abs(contextDir)
	if err != nil {
		return err
	}
	if workDir, err = filepath.Abs(workDir); err != nil {
		return err
	}
	dt, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	stages, metaArgs, err := parseStages(dt)
	if err != nil {
		return err
	}
	shlex := shell.NewLex('\\')
	args := map[string]string{}
	for _, meta := range metaArgs {
		for _, a := range meta.Args {
			if a.Value != nil {
				args[a.Key] = *a.Value
			}
		}
	}
	expandArgs := func(word string) (string, error) {
		res, err := shlex.ProcessWordWithMatches(word, shell.EnvsFromSlice(envSlice(args)))
		return res.Result, err
	}
	files, err := contextFiles(contextDir)
	if err != nil {
		return err
	}
	tools, err := exec.Command("sh", "-c", "node --version; npm --version").Output()
	if err != nil {
		return fmt.Errorf("node and npm are needed to replay RUN steps: %w", err)
	}

	needed, err := neededStages(stages, target)
	if err != nil {
		return err
	}
	layers := filepath.Join(workDir, "layers")
	if err := os.MkdirAll(layers, 0o755); err != nil {
		return err
	}
	used := map[string]bool{}
	built := map[string]*replayStage{}
	for i, s := range stages {
		if !needed[i] {
			continue
		}
		base, err := expandArgs(s.BaseName)
		if err != nil {
			return err
		}
		st := &replayStage{
			npmCache: filepath.Join(workDir, "npm-cache"),
			name:     s.Name,
			root:     filepath.Join(workDir, "stages", s.Name),
			dir:      "/",
		}
		if err := os.RemoveAll(st.root); err != nil {
			return err
		}
		if parent, ok := built[strings.ToLower(base)]; ok {
			if err := cloneTree(parent.root, st.root); err != nil {
				return err
			}
			st.key, st.env, st.dir = parent.key, append([]string(nil), parent.env...), parent.dir
			st.config = parent.config
			st.config.Skipped = append([]string{}, parent.config.Skipped...)
		} else {
			if err := os.MkdirAll(st.root, 0o755); err != nil {
				return err
			}
			st.key = digestOf("base", base, string(tools))
			st.config.Skipped = []string{}
		}
		logf("stage %s (from %s)", s.Name, base)
		for _, c := range s.Commands {
			line := c.Location()[0].Start.Line
			// Variables would need the base image's environment, which the replay does not have.
			if code, ok := c.(fmt.Stringer); ok && strings.Contains(code.String(), "$") {
				if _, isRun := c.(*instructions.RunCommand); !isRun {
					return fmt.Errorf("line %d: a variable outside RUN is not replayed: %s", line, code)
				}
			}
			switch c := c.(type) {
			case *instructions.WorkdirCommand:
				st.dir = resolvePath(st.dir, c.Path)
				st.key = digestOf(st.key, "WORKDIR", st.dir)
				if err := st.restore(); err != nil {
					return err
				}
				if err := os.MkdirAll(st.path(st.dir), 0o755); err != nil {
					return err
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					st.env = append(st.env, kv.Key+"="+kv.Value)
				}
				st.key = digestOf(st.key, "ENV", strings.Join(st.env, "\n"))
			case *instructions.CopyCommand:
				if len(c.SourceContents) > 0 || c.Parents || len(c.ExcludePatterns) > 0 || c.Link {
					return fmt.Errorf("line %d: COPY with heredocs, --parents, --exclude or --link is not replayed", line)
				}
				if err := st.restore(); err != nil {
					return err
				}
				key, err := st.copy(c, contextDir, files, built)
				if err != nil {
					return fmt.Errorf("line %d: %w", line, err)
				}
				st.key = key
			case *instructions.RunCommand:
				if !c.PrependShell || len(c.FlagsUsed) > 0 || len(c.Files) > 0 {
					return fmt.Errorf("line %d: only the shell form of RUN without flags is replayed", line)
				}
				script := strings.Join(c.CmdLine, " ")
				if administersSystem(script) {
					logf("  line %d: skipped (base image administration): %s", line, firstLine(script))
					st.config.Skipped = append(st.config.Skipped, script)
					continue
				}
				// On this machine an absolute path is outside the stage directory.
				for _, word := range strings.Fields(script) {
					if strings.HasPrefix(word, "/") {
						return fmt.Errorf("line %d: RUN names the absolute path %s, which the replay cannot map", line, word)
					}
				}
				st.key = digestOf(st.key, "RUN", script)
				used[st.key] = true
				if err := st.run(line, script, filepath.Join(layers, st.key)); err != nil {
					return err
				}
			case *instructions.UserCommand:
				st.config.User = c.User
			case *instructions.CmdCommand:
				st.config.Cmd = c.CmdLine
			case *instructions.ExposeCommand, *instructions.LabelCommand:
			default:
				return fmt.Errorf("line %d: %s is not replayed", line, c.Name())
			}
		}
		if err := st.restore(); err != nil {
			return err
		}
		st.config.Root, st.config.WorkingDir, st.config.Env = st.root, st.dir, st.env
		built[strings.ToLower(s.Name)] = st
	}
	if err := pruneLayers(layers, used); err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(built[strings.ToLower(target)].config)
}

// administersSystem tells whether every command of a `a && b` chain is one of systemCommands.
func administersSystem(script string) bool {
	for _, command := range strings.Split(script, "&&") {
		fields := strings.Fields(command)
		if len(fields) == 0 || !systemCommands[fields[0]] {
			return false
		}
	}
	return true
}

// neededStages marks the stages target is built from, through FROM and COPY --from.
func neededStages(stages []instructions.Stage, target string) (map[int]bool, error) {
	byName := map[string]int{}
	for i, s := range stages {
		byName[strings.ToLower(s.Name)] = i
	}
	needed := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if needed[i] {
			return
		}
		needed[i] = true
		if j, ok := byName[strings.ToLower(stages[i].BaseName)]; ok {
			visit(j)
		}
		for _, c := range stages[i].Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
				if j, ok := byName[strings.ToLower(cp.From)]; ok {
					visit(j)
				}
			}
		}
	}
	t, ok := byName[strings.ToLower(target)]
	if !ok {
		return nil, fmt.Errorf("no stage %q", target)
	}
	visit(t)
	return needed, nil
}

func (st *replayStage) path(p string) string { return filepath.Join(st.root, filepath.FromSlash(p)) }

// copy applies COPY the way BuildKit does for plain paths: a directory source copies its
// contents, a file lands inside a destination ending in "/" or under the destination name.
func (st *replayStage) copy(c *instructions.CopyCommand, contextDir string, files []string, built map[string]*replayStage) (string, error) {
	dest := resolvePath(st.dir, c.DestPath)
	intoDir := strings.HasSuffix(c.DestPath, "/") || len(c.SourcePaths) > 1
	h := sha256.New()
	fmt.Fprintln(h, st.key, "COPY", c.From, c.Chown, c.DestPath, dest)
	for _, src := range c.SourcePaths {
		if strings.ContainsAny(src, "*?[") {
			return "", fmt.Errorf("wildcard source %q is not replayed", src)
		}
		if c.From != "" {
			from, ok := built[strings.ToLower(c.From)]
			if !ok {
				return "", fmt.Errorf("COPY --from=%s: no such stage", c.From)
			}
			fmt.Fprintln(h, from.key, src)
			srcPath := from.path(resolvePath(from.dir, src))
			info, err := os.Lstat(srcPath)
			if err != nil {
				return "", err
			}
			to := st.path(dest)
			if !info.IsDir() && intoDir {
				to = filepath.Join(to, filepath.Base(srcPath))
			}
			if err := copyTree(srcPath, to); err != nil {
				return "", err
			}
			continue
		}
		rel := path.Clean(strings.TrimPrefix(filepath.ToSlash(src), "/"))
		matched := 0
		for _, f := range files {
			var to string
			switch {
			case f == rel:
				to = dest
				if intoDir {
					to = path.Join(dest, path.Base(f))
				}
			case rel == "." || strings.HasPrefix(f, rel+"/"):
				to = path.Join(dest, strings.TrimPrefix(f, rel+"/"))
			default:
				continue
			}
			matched++
			fmt.Fprintln(h, f, to)
			if err := copyFile(filepath.Join(contextDir, filepath.FromSlash(f)), st.path(to), h); err != nil {
				return "", err
			}
		}
		if matched == 0 {
			return "", fmt.Errorf("%q: not found in the build context (after .dockerignore)", src)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

func (st *replayStage) run(line int, script, snapshot string) error {
	if _, err := os.Stat(snapshot); err == nil {
		logf("  line %d: cached: %s", line, firstLine(script))
		st.pending = snapshot
		return nil
	}
	if err := st.restore(); err != nil {
		return err
	}
	logf("  line %d: %s", line, firstLine(script))
	started := time.Now()
	if err := seedNpmCache(st.npmCache); err != nil {
		return err
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = st.path(st.dir)
	cmd.Env = append(append(hostEnv(), "npm_config_cache="+st.npmCache), st.env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("line %d: RUN failed: %w", line, err)
	}
	logf("  line %d: done in %.1fs", line, time.Since(started).Seconds())
	tmp := snapshot + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := cloneTree(st.root, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, snapshot)
}

// hostEnv is this machine's environment as a RUN step sees it: without what an outer
// `npm run` adds (its npm_* settings, and node_modules/.bin folders on PATH, which would lend
// the checkout's tools to a stage that lacks them).
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		key, value, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(strings.ToLower(key), "npm_"), key == "INIT_CWD":
		case key == "PATH":
			var dirs []string
			for _, dir := range filepath.SplitList(value) {
				if !strings.Contains(dir, "node_modules") {
					dirs = append(dirs, dir)
				}
			}
			env = append(env, "PATH="+strings.Join(dirs, string(os.PathListSeparator)))
		default:
			env = append(env, kv)
		}
	}
	return env
}

// restore replaces the stage directory with the cached snapshot it stands at, if any. Cached
// steps in a row restore once.
func (st *replayStage) restore() error {
	if st.pending == "" {
		return nil
	}
	snapshot := st.pending
	st.pending = ""
	if err := os.RemoveAll(st.root); err != nil {
		return err
	}
	return cloneTree(snapshot, st.root)
}

// seedNpmCache gives RUN steps an npm cache of their own (a Dockerfile may clean its cache),
// filled from this machine's: package contents hard-linked (cacache never rewrites them), the
// index, which npm appends to, copied.
func seedNpmCache(cache string) error {
	if _, err := os.Stat(cache); err == nil {
		return nil
	}
	host := os.Getenv("npm_config_cache")
	if host == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		host = filepath.Join(home, ".npm")
	}
	if err := os.MkdirAll(filepath.Join(cache, "_cacache"), 0o755); err != nil {
		return err
	}
	for dir, flags := range map[string]string{"content-v2": "-al", "index-v5": "-a"} {
		from := filepath.Join(host, "_cacache", dir)
		if _, err := os.Stat(from); err != nil {
			continue
		}
		out, err := exec.Command("cp", flags, from, filepath.Join(cache, "_cacache", dir)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("seeding the npm cache: %w: %s", err, out)
		}
	}
	return nil
}

// cloneTree hard-links a tree (cp -al): snapshots cost no space, and since every later write in
// the replay replaces files rather than editing them in place, a snapshot never changes.
func cloneTree(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := exec.Command("cp", "-al", from, to).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cp -al %s %s: %w: %s", from, to, err, out)
	}
	return nil
}

// copyTree copies a file, symlink or directory with its modes, replacing what is there.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		return copyFile(p, filepath.Join(to, rel), nil)
	})
}

func copyFile(from, to string, h io.Writer) error {
	info, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return os.MkdirAll(to, info.Mode().Perm()|0o700)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if err := os.Remove(to); err != nil && !os.IsNotExist(err) {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		if h != nil {
			fmt.Fprintln(h, "->", target)
		}
		return os.Symlink(target, to)
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, info.Mode().Perm())
	if err != nil {
		return err
	}
	w := io.Writer(out)
	if h != nil {
		w = io.MultiWriter(out, h)
	}
	if _, err := io.Copy(w, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// pruneLayers drops the snapshots this replay did not use, so the cache holds one build.
func pruneLayers(layers string, used map[string]bool) error {
	entries, err := os.ReadDir(layers)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !used[e.Name()] {
			if err := os.RemoveAll(filepath.Join(layers, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func resolvePath(dir, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(dir, p)
}

func digestOf(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:32]
}

func envSlice(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 100 {
		return s[:97] + "..."
	}
	return s
}

func logf(format string, a ...any) { fmt.Fprintf(os.Stderr, "[replay] "+format+"\n", a...) }
