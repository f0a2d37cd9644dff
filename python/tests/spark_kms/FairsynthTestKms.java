// A KMS client for Spark's PropertiesDrivenCryptoFactory in the encryption tests
// (python/tests/test_encryption_spark.py): master keys from the Hadoop property
// `fairsynth.test.keys` ("ID:BASE64,ID:BASE64"), wrapping as fairsynth's key file does:
// AES-GCM with the master key, a random 12-byte nonce, the master key ID's UTF-8 bytes as AAD,
// base64 of nonce + ciphertext + tag. Compiled by the test against PySpark's Parquet jars.

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.KeyAccessDeniedException;
import org.apache.parquet.crypto.keytools.KmsClient;

public class FairsynthTestKms implements KmsClient {
  private final Map<String, byte[]> keys = new HashMap<>();
  private final SecureRandom random = new SecureRandom();

  @Override
  public void initialize(Configuration conf, String kmsInstanceID, String kmsInstanceURL,
      String accessToken) {
    String list = conf.getTrimmed("fairsynth.test.keys", "");
    for (String entry : list.split(",")) {
      int colon = entry.indexOf(':');
      if (colon > 0) {
        keys.put(entry.substring(0, colon).trim(),
            Base64.getDecoder().decode(entry.substring(colon + 1).trim()));
      }
    }
  }

  private byte[] key(String id) throws KeyAccessDeniedException {
    byte[] k = keys.get(id);
    if (k == null) {
      throw new KeyAccessDeniedException("no master key " + id);
    }
    return k;
  }

  @Override
  public String wrapKey(byte[] keyBytes, String masterKeyIdentifier)
      throws KeyAccessDeniedException {
    try {
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key(masterKeyIdentifier), "AES"),
          new GCMParameterSpec(128, nonce));
      c.updateAAD(masterKeyIdentifier.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = c.doFinal(keyBytes);
      byte[] out = new byte[12 + sealed.length];
      System.arraycopy(nonce, 0, out, 0, 12);
      System.arraycopy(sealed, 0, out, 12, sealed.length);
      return Base64.getEncoder().encodeToString(out);
    } catch (KeyAccessDeniedException e) {
      throw e;
    } catch (Exception e) {
      throw new KeyAccessDeniedException("wrapping failed for " + masterKeyIdentifier, e);
    }
  }

  @Override
  public byte[] unwrapKey(String wrappedKey, String masterKeyIdentifier)
      throws KeyAccessDeniedException {
    try {
      byte[] raw = Base64.getDecoder().decode(wrappedKey);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key(masterKeyIdentifier), "AES"),
          new GCMParameterSpec(128, raw, 0, 12));
      c.updateAAD(masterKeyIdentifier.getBytes(StandardCharsets.UTF_8));
      return c.doFinal(raw, 12, raw.length - 12);
    } catch (KeyAccessDeniedException e) {
      throw e;
    } catch (Exception e) {
      throw new KeyAccessDeniedException("unwrapping failed for " + masterKeyIdentifier, e);
    }
  }
}
