using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Pdp.Policies.Loading;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;

namespace Pdp.Server.Policies;

/// <summary>
/// Reloads the policy set in the background (<c>Pdp:Reload</c>): on file events in the policy directory
/// (debounced, so an editor's several writes load once), on a periodic poll (file events can be lost),
/// and on SIGHUP. File events and signals only record that a reload is wanted; one loop performs the
/// reloads, one at a time, off the request path, through <see cref="PolicyStore.TryReload"/>, which never
/// throws and never replaces the serving revision with a bad one. <c>POST /admin/reload</c> calls the
/// store directly and is serialized with this loop by the store.
/// </summary>
public sealed class PolicyReloadService : BackgroundService
{
    // While the watcher is broken and no poll runs, how often to try to restore it.
    private static readonly TimeSpan WatchRetry = TimeSpan.FromSeconds(5);

    private readonly PolicyStore _store;
    private readonly ReloadOptions _settings;
    private readonly string? _directory;
    private readonly string _origin;
    private readonly TimeProvider _time;
    private readonly ILogger<PolicyReloadService> _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _lastChange;
    private int _changePending;
    private int _signalPending;
    private int _watchBroken;
    private FileSystemWatcher? _watcher;
    private bool _watching;
    private PosixSignalRegistration? _sighup;

    public PolicyReloadService(PolicyStore store, IPolicySource source, IOptions<PdpOptions> options, TimeProvider time, ILogger<PolicyReloadService> logger)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _settings = options.Value.Reload;
        _directory = source is DirectoryPolicySource ? source.Origin : null;
        _origin = source.Origin;
        _time = time;
        _logger = logger;
    }

    /// <summary>Asks the loop for a reload that loads even if the files look unchanged (SIGHUP).</summary>
    public void RequestReload()
    {
        Interlocked.Exchange(ref _signalPending, 1);
        _wake.Writer.TryWrite(true);
    }

    public override void Dispose()
    {
        _sighup?.Dispose();
        _watcher?.Dispose();
        base.Dispose();
    }

    /// <summary>Starts watching and handling SIGHUP before the listeners open, then the reload loop.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_settings.Enabled)
        {
            _watching = _settings.Watch && _directory is not null;
            if (_watching)
            {
                StartWatching();
            }

            var signal = _settings.Signal && !OperatingSystem.IsWindows() && RegisterSignal();
            PolicyLog.PolicyReloadStarted(_logger, _origin, _watching, _settings.DebounceMilliseconds, _settings.PollSeconds, signal, _settings.RequireTests);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_settings.Enabled)
        {
            return;
        }

        var watch = _watching;
        var poll = _settings.PollSeconds > 0 ? TimeSpan.FromSeconds(_settings.PollSeconds) : Timeout.InfiniteTimeSpan;
        var lastPoll = _time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var untilPoll = poll == Timeout.InfiniteTimeSpan ? poll : poll - _time.GetElapsedTime(lastPoll);
                if (watch && Volatile.Read(ref _watchBroken) == 1 && (untilPoll == Timeout.InfiniteTimeSpan || untilPoll > WatchRetry))
                {
                    untilPoll = WatchRetry;
                }

                await WaitForWakeAsync(untilPoll, stoppingToken).ConfigureAwait(false);
                if (watch && Volatile.Read(ref _watchBroken) == 1)
                {
                    StartWatching();
                }

                if (Volatile.Read(ref _changePending) == 1)
                {
                    await DebounceAsync(stoppingToken).ConfigureAwait(false);
                }

                var changed = Interlocked.Exchange(ref _changePending, 0) == 1;
                var signalled = Interlocked.Exchange(ref _signalPending, 0) == 1;
                var pollDue = poll != Timeout.InfiniteTimeSpan && _time.GetElapsedTime(lastPoll) >= poll;
                if (signalled)
                {
                    PolicyLog.PolicyReloadRequested(_logger, ReloadTrigger.Signal);
                    _store.TryReload(ReloadTrigger.Signal);
                }
                else if (changed || pollDue)
                {
                    _store.TryReload(changed ? ReloadTrigger.FileChange : ReloadTrigger.Poll, skipIfSourceUnchanged: true);
                }

                if (signalled || changed || pollDue)
                {
                    // Any read of the directory counts as the poll.
                    lastPoll = _time.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task WaitForWakeAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        if (timeout != Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token);
        try
        {
            await _wake.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
            _wake.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The poll is due.
        }
    }

    /// <summary>Waits until no file event has arrived for the debounce time, but never more than a few times it in all.</summary>
    private async Task DebounceAsync(CancellationToken stoppingToken)
    {
        var debounce = TimeSpan.FromMilliseconds(_settings.DebounceMilliseconds);
        var limit = debounce * 5;
        var started = _time.GetTimestamp();
        while (true)
        {
            var quiet = _time.GetElapsedTime(Interlocked.Read(ref _lastChange));
            if (quiet >= debounce || _time.GetElapsedTime(started) >= limit)
            {
                return;
            }

            await Task.Delay(debounce - quiet, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    private void StartWatching()
    {
        _watcher?.Dispose();
        _watcher = null;
        try
        {
            // Sub-folders too: data/, and the timestamped folders a Kubernetes ConfigMap swaps in by symlink.
            var watcher = new FileSystemWatcher(_directory!)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                InternalBufferSize = 64 * 1024,
            };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.Deleted += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.Error += OnWatchError;
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
            Volatile.Write(ref _watchBroken, 0);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // E.g. the directory is gone for now, or the inotify instance limit is reached.
            Volatile.Write(ref _watchBroken, 1);
            PolicyLog.PolicyWatchFailed(_logger, _directory!, e);
        }
    }

    private bool RegisterSignal()
    {
        try
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // Handled: SIGHUP's default action would end the process.
                context.Cancel = true;
                RequestReload();
            });
            return true;
        }
        catch (PlatformNotSupportedException)
        {
            return false;
        }
    }

    // Runs on the watcher's thread: only note the change; the loop does the work.
    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        Interlocked.Exchange(ref _lastChange, _time.GetTimestamp());
        Interlocked.Exchange(ref _changePending, 1);
        _wake.Writer.TryWrite(true);
    }

    private void OnWatchError(object sender, ErrorEventArgs e)
    {
        // Events were lost (buffer overflow) or the watch died (directory removed): reload to catch up,
        // and restore the watch from the loop.
        PolicyLog.PolicyWatchFailed(_logger, _directory!, e.GetException());
        Volatile.Write(ref _watchBroken, 1);
        OnFileEvent(sender, new FileSystemEventArgs(WatcherChangeTypes.Changed, _directory!, null));
    }
}
