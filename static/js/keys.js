// Keyboard shortcuts: being written.
