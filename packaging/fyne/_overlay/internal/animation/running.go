// This file is added to fyne.io/fyne/v2@v2.7.1/internal/animation in Daoli's builds
// (see packaging/fyne/README.md): the idle main loop asks whether animations run.

package animation

// Running reports whether any animation is started and not yet finished.
func (r *Runner) Running() bool {
	r.animationMutex.RLock()
	defer r.animationMutex.RUnlock()
	return r.runnerStarted
}
