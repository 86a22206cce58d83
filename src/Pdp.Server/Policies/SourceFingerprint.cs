using System.Security.Cryptography;
using System.Text;
using Pdp.Policies.Loading;

namespace Pdp.Server.Policies;

/// <summary>
/// A hash of everything a load depends on: policy, helper-module, data and test files, and what the source could not
/// read. Cheap next to a load (no JavaScript is compiled), so watch and poll triggers can skip a load
/// when nothing changed since the previous attempt.
/// </summary>
internal static class SourceFingerprint
{
    public static byte[] Of(PolicySourceSnapshot snapshot)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Append(string kind, string text)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(kind));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(text));
            hash.AppendData([0]);
        }

        foreach (var file in snapshot.Policies)
        {
            Append("policy:" + file.Path, file.Content);
        }

        foreach (var file in snapshot.Libraries)
        {
            Append("lib:" + file.Path, file.Content);
        }

        foreach (var file in snapshot.DataFiles)
        {
            Append("data:" + file.Path, file.Content);
        }

        foreach (var file in snapshot.TestFiles)
        {
            Append("test:" + file.Path, file.Content);
        }

        foreach (var problem in snapshot.Problems)
        {
            Append("problem", problem.ToString());
        }

        return hash.GetHashAndReset();
    }
}
