// Opens a lock with Node.js (18 or later) and fetch.
// Set LATCHKEY_URL, LATCHKEY_API_KEY, LATCHKEY_API_SECRET and LOCK_ID (a lockId or
// objectId). Prints each status the lock went through; exits 1 unless it opened.

const url = process.env.LATCHKEY_URL ?? "http://127.0.0.1:8080";
const response = await fetch(`${url}/rest/functions/performUnlock`, {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    "Nexkey-Api-Key": process.env.LATCHKEY_API_KEY,
    "Nexkey-Api-Secret": process.env.LATCHKEY_API_SECRET,
  },
  body: JSON.stringify({
    lockId: process.env.LOCK_ID,
    user: { externalId: "desk-1", name: "Front desk" },
  }),
});
const answer = await response.json();
if (!("result" in answer)) {
  console.error(`error ${answer.code}: ${answer.error}`);
  process.exit(1);
}
for (const step of answer.result.history) {
  console.log(step.status, step.statusName);
}
process.exit(answer.result.success ? 0 : 1);
