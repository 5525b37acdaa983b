using System.Security.Cryptography;

namespace Vouch.FidoSimulator.Ctap;

/// <summary>A credential the simulated key made: kept in memory for the simulator's lifetime, resident or not.</summary>
public sealed record Credential(byte[] Id, string RpId, byte[] UserId, string? UserName, bool Resident, ECDsa Key);
