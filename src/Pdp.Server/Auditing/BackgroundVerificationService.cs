using Microsoft.Extensions.Options;
using Pdp.Audit.Verification;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;
using Pdp.Server.Metrics;

namespace Pdp.Server.Auditing;

/// <summary>
/// With <c>Pdp:Audit:VerifyAfterStart</c>, verifies the whole retained trail once after start, beside the writer:
/// start-up verified only what follows the newest checkpoint, this re-hashes everything before it too. It works on a
/// still copy (<see cref="TrailSnapshot"/>) so rotation and retention cannot make a sound trail look cut, on a
/// thread of its own so it never holds up a decision, and reports progress and the result as metrics.
/// </summary>
public sealed class BackgroundVerificationService(AuditTrailHost host, PdpMetrics metrics, IOptions<PdpOptions> options, ILogger<BackgroundVerificationService> logger) : BackgroundService
{
    private const int ProgressEvery = 1024;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Audit.VerifyAfterStart || !host.IsOpen)
        {
            return Task.CompletedTask;
        }

        return Task.Factory.StartNew(() => Verify(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Verify(CancellationToken stoppingToken)
    {
        var trail = host.Trail;
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            long records = 0;
            AuditVerificationResult result;
            using (var snapshot = trail.Snapshot())
            {
                result = AuditVerifier.Verify(snapshot.ActivePath, _ =>
                {
                    stoppingToken.ThrowIfCancellationRequested();
                    if (++records % ProgressEvery == 0)
                    {
                        metrics.BackgroundVerifiedRecords.Set(records);
                    }

                    return null;
                });
            }

            // Published once the still copy is removed, so whoever sees the result sees the copy gone too.
            metrics.BackgroundVerifiedRecords.Set(result.RecordsChecked);
            if (result.Ok)
            {
                metrics.BackgroundVerificationResult.Set(1);
                ServerLog.BackgroundVerificationPassed(logger, trail.ActivePath, result.RecordsChecked, result.FirstSeq, result.LastSeq, result.AnchorText,
                    (long)TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
            }
            else
            {
                metrics.BackgroundVerificationResult.Set(-1);
                // The copy's file names are the trail's own: name the trail's file, not the copy's.
                var file = Path.Combine(Path.GetDirectoryName(trail.ActivePath)!, Path.GetFileName(result.File ?? trail.ActivePath));
                ServerLog.BackgroundVerificationFailed(logger, trail.ActivePath, file, result.Line ?? 0, result.Seq ?? 0, result.Problem!);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the next start may verify again.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Pdp.Audit.AuditTrailCorruptException)
        {
            metrics.BackgroundVerificationResult.Set(-1);
            ServerLog.BackgroundVerificationError(logger, trail.ActivePath, e);
        }
    }
}
