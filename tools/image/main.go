// Command dockerfile-check runs BuildKit's own Dockerfile frontend over the project's
// Dockerfile without a Docker engine or a registry:
//
//	dockerfile-check lint FILE TARGET...  the `docker build --check` rules (any warning fails),
//	                                      then each TARGET converted to LLB
//	dockerfile-check plan FILE TARGET     the stages TARGET is built from, in build order, with
//	                                      their instructions as JSON (for tools/image/reproduce.mjs)
//	dockerfile-check context DIR          the build context's files after .dockerignore, one a line
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: dockerfile-check lint FILE TARGET... | plan FILE TARGET | context DIR")
	}
	var err error
	switch os.Args[1] {
	case "lint":
		err = lint(os.Args[2], os.Args[3:])
	case "plan":
		if len(os.Args) != 4 {
			fail("usage: dockerfile-check plan FILE TARGET")
		}
		err = plan(os.Args[2], os.Args[3])
	case "context":
		err = listContext(os.Args[2])
	default:
		fail("unknown command " + os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "dockerfile-check:", msg)
	os.Exit(1)
}

// offlineResolver answers every base image lookup with an empty linux/amd64 image config, so
// the conversion never reaches a registry. Nothing the checks look at depends on the base
// image's config (the Dockerfile sets its own WORKDIR, USER and ENV).
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	config, err := json.Marshal(ocispecs.Image{
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispecs.ImageConfig{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		RootFS:   ocispecs.RootFS{Type: "layers"},
	})
	return ref, digest.FromBytes(config), config, err
}

func convertOpt(ctx context.Context, file string, dt []byte, target string) (dockerfile2llb.ConvertOpt, error) {
	platform := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	// As BuildKit's builder does: the Dockerfile itself is a local source the results point into.
	src := llb.Local("dockerfile")
	sourceMap := llb.NewSourceMap(&src, filepath.Base(file), "Dockerfile", dt)
	def, err := src.Marshal(ctx)
	if err != nil {
		return dockerfile2llb.ConvertOpt{}, err
	}
	sourceMap.Definition = def
	return dockerfile2llb.ConvertOpt{
		Config:         dockerui.Config{Target: target},
		SourceMap:      sourceMap,
		TargetPlatform: &platform,
		MetaResolver:   offlineResolver{},
	}, nil
}

func lint(file string, targets []string) error {
	dt, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	ctx := context.Background()
	// No target: every stage is checked, as `docker build --check` does.
	opt, err := convertOpt(ctx, file, dt, "")
	if err != nil {
		return err
	}
	results, err := dockerfile2llb.DockerfileLint(ctx, dt, opt)
	if err != nil {
		return err
	}
	for _, w := range results.Warnings {
		line := 0
		if len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		fmt.Fprintf(os.Stderr, "%s:%d: %s: %s (%s)\n", file, line, w.RuleName, w.Detail, w.URL)
	}
	if results.Error != nil {
		return fmt.Errorf("%s: %s", file, results.Error.Message)
	}
	if len(results.Warnings) > 0 {
		return fmt.Errorf("%s: %d lint warning(s)", file, len(results.Warnings))
	}
	fmt.Printf("lint: %s passes BuildKit's checks\n", file)
	if err := checkStageReferences(dt); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}

	for _, target := range targets {
		opt, err := convertOpt(ctx, file, dt, target)
		if err != nil {
			return err
		}
		res, err := dockerfile2llb.Dockerfile2LLB(ctx, dt, opt)
		if err != nil {
			return fmt.Errorf("target %s: %w", target, err)
		}
		def, err := res.State.Marshal(ctx)
		if err != nil {
			return fmt.Errorf("target %s: %w", target, err)
		}
		fmt.Printf("llb: target %s converts to %d operations (user %q, cmd %q)\n",
			target, len(def.Def), res.Image.Config.User, strings.Join(res.Image.Config.Cmd, " "))
	}
	return nil
}

// checkStageReferences fails on a COPY --from or FROM that names no earlier stage but looks
// like one (no registry path, tag or digest): BuildKit would take it for an image on Docker Hub,
// which the offline conversion cannot tell apart from a typo.
func checkStageReferences(dt []byte) error {
	stages, _, err := parseStages(dt)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	looksLikeStage := func(ref string) bool { return !strings.ContainsAny(ref, "/:@$") }
	for _, s := range stages {
		if looksLikeStage(s.BaseName) && !seen[strings.ToLower(s.BaseName)] && s.BaseName != "scratch" {
			return fmt.Errorf("line %d: FROM %s names no earlier stage", s.Location[0].Start.Line, s.BaseName)
		}
		for _, c := range s.Commands {
			cp, ok := c.(*instructions.CopyCommand)
			if ok && cp.From != "" && looksLikeStage(cp.From) && !seen[strings.ToLower(cp.From)] {
				return fmt.Errorf("line %d: COPY --from=%s names no earlier stage", cp.Location()[0].Start.Line, cp.From)
			}
		}
		seen[strings.ToLower(s.Name)] = true
	}
	fmt.Printf("stages: every FROM and COPY --from names an earlier stage or an image reference\n")
	return nil
}

func parseStages(dt []byte) ([]instructions.Stage, []instructions.ArgCommand, error) {
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, nil, err
	}
	return instructions.Parse(ast.AST, nil)
}

type step struct {
	Kind    string   `json:"kind"`
	Line    int      `json:"line"`
	Sources []string `json:"sources,omitempty"`
	Dest    string   `json:"dest,omitempty"`
	From    string   `json:"from,omitempty"`
	Chown   string   `json:"chown,omitempty"`
	Shell   string   `json:"shell,omitempty"`
	Path    string   `json:"path,omitempty"`
	Env     []string `json:"env,omitempty"`
	User    string   `json:"user,omitempty"`
	// Set for an instruction the plan does not model, so the reader can refuse it.
	Original string `json:"original,omitempty"`
}

type stage struct {
	Name  string `json:"name"`
	Base  string `json:"base"`
	Steps []step `json:"steps"`
}

// plan lists the stages TARGET depends on (through FROM and COPY --from) in Dockerfile order,
// with ARGs expanded the way BuildKit expands them.
func plan(file, target string) error {
	dt, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	stages, metaArgs, err := parseStages(dt)
	if err != nil {
		return err
	}
	args := map[string]string{}
	for _, meta := range metaArgs {
		for _, a := range meta.Args {
			if a.Value != nil {
				args[a.Key] = *a.Value
			}
		}
	}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string { return args[k] })
	}
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
		return fmt.Errorf("no stage %q", target)
	}
	visit(t)

	var out []stage
	for i, s := range stages {
		if !needed[i] {
			continue
		}
		st := stage{Name: s.Name, Base: expand(s.BaseName)}
		for _, c := range s.Commands {
			line := 0
			if loc := c.Location(); len(loc) > 0 {
				line = loc[0].Start.Line
			}
			switch c := c.(type) {
			case *instructions.CopyCommand:
				st.Steps = append(st.Steps, step{Kind: "copy", Line: line, Sources: c.SourcePaths, Dest: c.DestPath, From: c.From, Chown: c.Chown})
			case *instructions.RunCommand:
				if !c.PrependShell || len(c.FlagsUsed) > 0 || len(c.Files) > 0 {
					st.Steps = append(st.Steps, step{Kind: "unsupported", Line: line, Original: c.String()})
					continue
				}
				st.Steps = append(st.Steps, step{Kind: "run", Line: line, Shell: strings.Join(c.CmdLine, " ")})
			case *instructions.WorkdirCommand:
				st.Steps = append(st.Steps, step{Kind: "workdir", Line: line, Path: c.Path})
			case *instructions.EnvCommand:
				var env []string
				for _, kv := range c.Env {
					env = append(env, kv.Key+"="+kv.Value)
				}
				st.Steps = append(st.Steps, step{Kind: "env", Line: line, Env: env})
			case *instructions.UserCommand:
				st.Steps = append(st.Steps, step{Kind: "user", Line: line, User: c.User})
			case *instructions.CmdCommand, *instructions.ExposeCommand, *instructions.EntrypointCommand, *instructions.LabelCommand:
				st.Steps = append(st.Steps, step{Kind: "metadata", Line: line, Original: c.(fmt.Stringer).String()})
			default:
				st.Steps = append(st.Steps, step{Kind: "unsupported", Line: line, Original: fmt.Sprint(c)})
			}
		}
		out = append(out, st)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// listContext prints the files BuildKit would send as the build context of DIR: everything
// not excluded by DIR/.dockerignore.
func listContext(dir string) error {
	var patterns []string
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		excluded, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if d.IsDir() {
			// A directory is skipped whole unless an exception pattern could bring back part of it.
			if excluded && !pm.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		if !excluded {
			fmt.Println(rel)
		}
		return nil
	})
}
