namespace Pdp.Server.Configuration;

/// <summary>
/// Hot reload of the policy directory (<c>Pdp:Reload</c>). A new set is loaded and checked off to the
/// side and served only if it is entirely valid (and, with <see cref="RequireTests"/>, passes its tests);
/// otherwise the last good revision keeps serving.
/// </summary>
public sealed class ReloadOptions
{
    /// <summary>
    /// Hot reload at all. Default true. When false the set loaded at start serves until the process
    /// exits: no watcher, no poll, no SIGHUP handler, and <c>POST /admin/reload</c> answers 409.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Watch the policy directory (and its sub-folders, such as <c>data/</c>) for changes. Default true.</summary>
    public bool Watch { get; set; } = true;

    /// <summary>
    /// Quiet time after the last file event before reloading, so an editor's several writes load as
    /// one change. Default 200 ms; 0..60000.
    /// </summary>
    public int DebounceMilliseconds { get; set; } = 200;

    /// <summary>
    /// Re-read the directory this often in case file events were lost (inotify overflows, Kubernetes
    /// ConfigMap symlink swaps); a poll reloads only when the content differs. Default 5 s; 0 disables.
    /// </summary>
    public int PollSeconds { get; set; } = 5;

    /// <summary>Refuse a new set unless every <c>*.test.json</c> case passes against it. Default false.</summary>
    public bool RequireTests { get; set; }

    /// <summary>Reload on SIGHUP (not on Windows). Default true.</summary>
    public bool Signal { get; set; } = true;
}
