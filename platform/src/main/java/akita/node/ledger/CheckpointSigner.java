package akita.node.ledger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * Signs the ledger's retention checkpoints with the node's Ed25519 key (JDK 15+, no extra library), kept in
 * {@code ledger-key} in the data folder (owner-only permissions), created on first start.
 */
public final class CheckpointSigner {

  static final String FILE = "ledger-key";
  private static final String ALGORITHM = "Ed25519";

  private final PrivateKey privateKey;
  private final String publicKey;

  private CheckpointSigner(PrivateKey privateKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = Base64.getEncoder().encodeToString(publicKey.getEncoded());
  }

  /**
   * Reads the node's key, or makes one. Blocking: call it before the verticles start.
   *
   * @param dataDir the node's data folder
   * @return the signer
   * @throws IOException if the key file cannot be read or written, or does not hold a key
   */
  public static CheckpointSigner loadOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE);
    try {
      if (Files.exists(file)) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        if (lines.size() < 2) {
          throw new IOException(file + " does not hold a key pair (two Base64 lines)");
        }
        KeyFactory kf = KeyFactory.getInstance(ALGORITHM);
        return new CheckpointSigner(
            kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(lines.get(0).strip()))),
            kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(lines.get(1).strip()))));
      }
      KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
      String text = Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n"
          + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()) + "\n";
      Path tmp = dataDir.resolve(FILE + ".tmp");
      Files.deleteIfExists(tmp);
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp); // not a POSIX file system
      }
      Files.writeString(tmp, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return new CheckpointSigner(pair.getPrivate(), pair.getPublic());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("cannot read the ledger key in " + file + ": " + e.getMessage(), e);
    }
  }

  /** @return the public key, Base64 of its X.509 encoding */
  public String publicKey() {
    return publicKey;
  }

  /**
   * @return the Base64 signature of a checkpoint's fields
   */
  String sign(long seq, String hash, long time, long pruned) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(privateKey);
      s.update(message(seq, hash, time, pruned));
      return Base64.getEncoder().encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /**
   * @return whether the signature over the checkpoint's fields verifies with the public key
   */
  static boolean verify(String publicKey, String signature, long seq, String hash, long time, long pruned) {
    try {
      PublicKey key = KeyFactory.getInstance(ALGORITHM)
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKey)));
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(message(seq, hash, time, pruned));
      return s.verify(Base64.getDecoder().decode(signature));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] message(long seq, String hash, long time, long pruned) {
    return ("akita-ledger-checkpoint\n" + seq + '\n' + hash + '\n' + time + '\n' + pruned)
        .getBytes(StandardCharsets.UTF_8);
  }
}
