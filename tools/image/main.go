// Command dockerfile-check runs BuildKit's own Dockerfile frontend over the project's
// Dockerfile without a Docker engine or a registry:
//
//	dockerfile-check lint FILE TARGET...  the `docker build --check` rules (any warning fails),
//	                                      then each TARGET converted to LLB
//	dockerfile-check replay FILE TARGET CONTEXT WORKDIR
//	                                      the filesystem TARGET builds, without Docker (replay.go)
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

const usage = "usage: dockerfile-check lint FILE TARGET... | replay FILE TARGET CONTEXT WORKDIR"

func main() {
	if len(os.Args) < 3 {
		fail(usage)
	}
	var err error
	switch os.Args[1] {
	case "lint":
		err = lint(os.Args[2], os.Args[3:])
	case "replay":
		if len(os.Args) != 6 {
			fail(usage)
		}
		err = replay(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
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

// contextFiles lists the files BuildKit would send as the build context of DIR: everything not
// excluded by DIR/.dockerignore, as slash-separated relative paths.
func contextFiles(dir string) ([]string, error) {
	var patterns []string
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
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
			files = append(files, rel)
		}
		return nil
	})
	return files, err
}
