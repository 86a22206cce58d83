using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Review.Checkpoints;
using Pdp.Server.Configuration;

namespace Pdp.Server.Auditing;

/// <summary>
/// The server's handle on the trail. The file is opened (and a torn tail repaired) at start-up by
/// <c>Hosting/TrailStartupService</c>; appends before that fail instead of being dropped.
/// </summary>
public sealed class AuditTrailHost(IOptions<PdpOptions> options, TimeProvider time) : IAuditTrail, IAsyncDisposable
{
    private AuditTrail? _trail;

    public AuditTrailOptions Options { get; } = PdpOptionsValidator.ToAuditTrailOptions(options.Value);

    public AuditTrail Trail => _trail ?? throw new InvalidOperationException("the audit trail is not open yet");

    public bool IsOpen => _trail is not null;

    public async Task<AuditTrail> OpenAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Options.Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Reviews in a shared store need nothing of them rebuilt here: only the idempotency window.
        var settings = options.Value;
        var state = new ReviewTrailState(
            settings.Review.Store == "local" ? settings.Review.RetainDecisions : 0,
            TimeSpan.FromSeconds(settings.Idempotency.WindowSeconds),
            settings.Idempotency.MaxEntries,
            time);
        _trail = await AuditTrail.OpenAsync(Options, state, time, cancellationToken).ConfigureAwait(false);
        return _trail;
    }

    public ValueTask<AuditReceipt> AppendAsync(string type, JsonObject payload, CancellationToken cancellationToken = default) =>
        Trail.AppendAsync(type, payload, cancellationToken);

    public ValueTask<AuditReceipt> AppendCanonicalAsync(string type, ReadOnlyMemory<byte> canonicalPayload, CancellationToken cancellationToken = default) =>
        Trail.AppendCanonicalAsync(type, canonicalPayload, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_trail is not null)
        {
            await _trail.DisposeAsync().ConfigureAwait(false);
            _trail = null;
        }
    }
}
