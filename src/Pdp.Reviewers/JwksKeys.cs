using Microsoft.IdentityModel.Tokens;

namespace Pdp.Reviewers;

/// <summary>
/// The keys reviewer tokens are checked against: a JWKS file (re-read when its time or size changes, so a rotation
/// needs no restart) or a JWKS URL (cached; refreshed on a schedule, and at most every <see cref="UnknownKeyRefresh"/>
/// when a token names a key id not in the cache). The last good set is kept when a reload fails.
/// </summary>
public sealed class JwksKeys(ReviewerTokenSettings settings, HttpClient? http = null, TimeProvider? time = null) : IDisposable
{
    private static readonly TimeSpan UnknownKeyRefresh = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly HttpClient _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    private readonly bool _ownsHttp = http is null;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<SecurityKey> _keys = [];
    private (DateTime Written, long Length) _fileStamp;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    /// <summary>The current signing keys; <paramref name="kid"/> (the token's key id) forces an early refresh of a URL when unknown.</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetAsync(string? kid, CancellationToken cancellationToken)
    {
        if (settings.JwksUrl is null)
        {
            ReloadFileIfChanged();
            return _keys;
        }

        var now = _time.GetUtcNow();
        var stale = now - _fetchedAt > settings.JwksRefresh;
        var unknown = kid is not null && !_keys.Any(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal)) && now - _fetchedAt > UnknownKeyRefresh;
        if (stale || unknown)
        {
            await FetchAsync(cancellationToken).ConfigureAwait(false);
        }

        return _keys;
    }

    public void Dispose()
    {
        _gate.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private void ReloadFileIfChanged()
    {
        var info = new FileInfo(settings.JwksPath);
        if (!info.Exists)
        {
            return;
        }

        var stamp = (info.LastWriteTimeUtc, info.Length);
        if (stamp == _fileStamp)
        {
            return;
        }

        try
        {
            _keys = Parse(File.ReadAllText(settings.JwksPath));
            _fileStamp = stamp;
        }
        catch (Exception e) when (e is IOException or ArgumentException or System.Text.Json.JsonException)
        {
            // A half-written file during a rotation: keep the last good keys and look again at the next token.
        }
    }

    private async Task FetchAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var json = await _http.GetStringAsync(settings.JwksUrl, cancellationToken).ConfigureAwait(false);
            _keys = Parse(json);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException or System.Text.Json.JsonException)
        {
            // The identity provider is away: the keys fetched before stay good until it is back.
        }
        finally
        {
            _fetchedAt = _time.GetUtcNow();
            _gate.Release();
        }
    }

    /// <summary>The signing keys of a JWKS document (keys marked for encryption are left out).</summary>
    public static IReadOnlyList<SecurityKey> Parse(string json) =>
        [.. new JsonWebKeySet(json).GetSigningKeys()];
}
