using Microsoft.Extensions.Options;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;

namespace Pdp.Server.Identity;

/// <summary>Re-reads the SVID and bundle files when they change: on a file-system event at once, and on a timer in case the event was lost.</summary>
public sealed class SvidReloadService(SvidSource svids, IOptions<PdpOptions> options, ILogger<SvidReloadService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tls = options.Value.Tls;
        var changed = new SemaphoreSlim(0);
        using var watchers = new CompositeDisposable();
        foreach (var directory in new[] { tls.CertificatePath, tls.KeyPath }.Concat(tls.TrustDomains.Values).Select(Path.GetDirectoryName).Distinct())
        {
            if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory))
            {
                continue;
            }

            var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size, EnableRaisingEvents = true };
            watcher.Changed += (_, _) => changed.Release();
            watcher.Created += (_, _) => changed.Release();
            watcher.Renamed += (_, _) => changed.Release();
            watchers.Add(watcher);
        }

        var interval = TimeSpan.FromSeconds(tls.ReloadSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await changed.WaitAsync(interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (svids.Refresh())
            {
                ServerLog.SvidRotated(logger, svids.ServerCertificate.Subject, svids.ServerCertificate.NotAfter);
            }
        }
    }

    private sealed class CompositeDisposable : IDisposable
    {
        private readonly List<IDisposable> _items = [];

        public void Add(IDisposable item) => _items.Add(item);

        public void Dispose() => _items.ForEach(i => i.Dispose());
    }
}
