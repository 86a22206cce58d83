using System.Globalization;
using System.Reflection;

namespace Pdp.Review.Postgres.Migrations;

/// <summary>One versioned SQL file from Migrations/, embedded in this assembly.</summary>
internal sealed record Migration(int Version, string Description, string Sql)
{
    private const string ResourcePrefix = "Pdp.Review.Postgres.Migrations.";

    /// <summary>
    /// Every embedded migration, in version order. The versions must run 1..<paramref name="expectedCount"/> without a
    /// gap, so a file left out of the build or a CurrentVersion not bumped fails at once, not in production.
    /// </summary>
    public static IReadOnlyList<Migration> LoadAll(int expectedCount)
    {
        var assembly = typeof(Migration).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => Load(assembly, name))
            .OrderBy(migration => migration.Version)
            .ToList();
        var versions = migrations.Select(migration => migration.Version);
        if (!versions.SequenceEqual(Enumerable.Range(1, expectedCount)))
        {
            throw new InvalidOperationException(
                $"embedded migrations are versions [{string.Join(", ", versions)}], expected 1 to {expectedCount}");
        }

        return migrations;
    }

    // A file is NNNN_name.sql and opens with "-- NNNN_name.sql: what it adds", which becomes pdp_schema.description.
    private static Migration Load(Assembly assembly, string resource)
    {
        var file = resource[ResourcePrefix.Length..];
        var separator = file.IndexOf('_', StringComparison.Ordinal);
        if (separator <= 0 || !int.TryParse(file.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new InvalidOperationException($"migration {file} is not named NNNN_name.sql");
        }

        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        var sql = reader.ReadToEnd();
        var header = $"-- {file}: ";
        var firstLine = sql.AsSpan()[..Math.Max(0, sql.IndexOf('\n', StringComparison.Ordinal))].TrimEnd();
        if (!firstLine.StartsWith(header, StringComparison.Ordinal) || firstLine.Length == header.Length)
        {
            throw new InvalidOperationException($"migration {file} must open with \"{header}<what it adds>\"");
        }

        return new Migration(version, firstLine[header.Length..].ToString(), sql);
    }
}
