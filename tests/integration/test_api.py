"""The credit-check API over HTTP against a real worker: answers, errors, tokens, least
privilege, list paging, masking of personal information, the audit trail and dead letters."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from creditflow.settings import Settings
from creditflow.tokens import token_hash
from producers.publisher import producer_config
from schemas.audit import CreditCheckAudited
from schemas.catalog import decode_event
from schemas.codec import encode_model
from schemas.deadletters import opened
from schemas.identifiers import mask_resident_id
from schemas.notices import DeadLettered, FeedbackRelayed, MeasureNotified
from streams.api.audit import AuditLog
from streams.api.errors import ApiError
from tests import factories as f
from tests.conftest import RunCli
from tests.integration.api_client import ApiPlatform, random_resident_id, read_topic
from tests.integration.harness import WorkerProcess, free_port, random_uscc, wait_for
from tests.unit.rules_helpers import at

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiPlatform]:
    platform = ApiPlatform(tmp_path_factory.mktemp("api"))
    try:
        platform.harness.set_clock(at(2024, 3, 5))
        platform.start()
        yield platform
    finally:
        platform.close()


def blacklisted(api: ApiPlatform, subject: str, person: bool = False) -> None:
    """Publish a serious penalty and wait until the subject is on the black list."""
    fields = {"subject_kind": "NATURAL_PERSON", "subject_name": "李四"} if person else {}
    if person:
        api.persons.add(subject)
    api.harness.publish(f.penalty(subject_id=subject, serious=True, **fields))
    wait_for(lambda: api.harness.state(subject).get("black_list"), 60, f"{subject} listed")


def test_subject_query_answers_and_explains(api: ApiPlatform) -> None:
    subject = random_uscc()
    blacklisted(api, subject)

    answer = api.check(subject, purpose="政府采购")
    assert answer.status == 200, answer
    body = answer.json
    assert (body["subject_id"], body["black_list"], body["red_list"]) == (subject, True, False)
    assert body["grade"]
    assert isinstance(body["score"], int)
    assert {m["measure_id"] for m in body["measures_in_force"]} >= {"B01", "B02"}
    (record,) = body["records_in_publicity"]
    assert record["record"]["document_number"] == "泰市监处罚〔2024〕101号"

    why = api.check(subject, explain=True)
    assert why.status == 200, why
    (listing,) = why.json["listings"]
    assert listing["list"] == "BLACK"
    assert listing["until"].startswith("2027-0")
    assert listing["rule"]
    assert "严重违法失信" in listing["legal_basis"]
    assert listing["records"][0]["publicity"]["severity"] == "serious"
    for measure in why.json["measures"]:
        assert measure["policy"]["measure_id"] == measure["measure_id"]
        assert measure["legal_basis"]
        assert measure["until"]
        assert measure["records"][0]["record"] == record["record"]


def test_invalid_unknown_and_purposeless_queries(api: ApiPlatform) -> None:
    bad_uscc = api.check("91110000600037341N")
    assert (bad_uscc.status, bad_uscc.json["error"]["code"]) == (400, "invalid_subject_id")
    assert "check character" in bad_uscc.json["error"]["message"]
    assert "GB 32100" in bad_uscc.json["error"]["message"]
    bad_person = api.check("110102199101010079")
    assert bad_person.status == 400
    assert "居民身份证号码" in bad_person.json["error"]["message"]
    assert "110102199101010079" not in bad_person.text  # masked even in the error
    assert api.check("12345").status == 400

    unknown = api.check(random_uscc())
    assert (unknown.status, unknown.json["error"]["code"]) == (404, "subject_not_found")

    purposeless = api.get(f"/v1/subjects/{random_uscc()}")
    assert (purposeless.status, purposeless.json["error"]["code"]) == (400, "missing_purpose")
    nowhere = api.get("/v1/nothing-here")
    assert (nowhere.status, nowhere.json["error"]["code"]) == (404, "not_found")


def test_tokens_and_least_privilege(api: ApiPlatform) -> None:
    subject = random_uscc()
    assert api.get(f"/v1/subjects/{subject}", as_department=None, purpose="x").status == 401
    wrong = api.get(f"/v1/subjects/{subject}", token="cft_not-a-token", purpose="x")
    assert (wrong.status, wrong.json["error"]["code"]) == (401, "unauthorized")
    assert wrong.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert api.get("/v1/lists/black", as_department=None).status == 401
    assert api.get("/v1/notices", as_department=None).status == 401

    other = api.get("/v1/notices", "finance", department="court")
    assert (other.status, other.json["error"]["code"]) == (403, "forbidden")
    own = api.get("/v1/notices", "finance", department="finance", status="pending")
    assert own.status == 200
    assert own.json["department"] == "finance"
    assert api.get("/v1/notices", "finance", status="nope").status == 400


def test_list_pages_are_stable_and_mask_persons(api: ApiPlatform) -> None:
    companies = [random_uscc() for _ in range(4)]
    persons = [random_resident_id() for _ in range(3)]
    for subject in companies:
        blacklisted(api, subject)
    for person in persons:
        blacklisted(api, person, person=True)

    seen: list[dict[str, str]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/lists/black", "tax", **query)
        assert page.status == 200, page
        for person in api.persons:
            assert person not in page.text  # nor in the cursor: it is opaque
        seen += page.json["items"]
        pages += 1
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    ids = [item["subject_id"] for item in seen]
    assert len(ids) == len(set(ids)) == page.json["total"] >= 7
    assert pages == (len(ids) + 1) // 2
    unmasked = {mask_resident_id(p): p for p in api.persons}
    order = [(i["since"], unmasked.get(i["subject_id"], i["subject_id"])) for i in seen]
    assert order == sorted(order)  # by (since, subject id), persons' ids ordered in full
    assert set(companies) <= set(ids)
    assert {mask_resident_id(p) for p in persons} <= set(ids)
    shown = {i["subject_id"]: i for i in seen}
    assert shown[mask_resident_id(persons[0])]["subject_name"] == "李*"
    assert api.get("/v1/lists/black", cursor="forged").json["error"]["code"] == "invalid_cursor"
    assert api.get("/v1/lists/grey").status == 404
    assert api.get("/v1/lists/red", limit=0).status == 400


def test_notices_and_feedback_of_a_department_without_personal_information(
    api: ApiPlatform,
) -> None:
    person = random_resident_id()
    blacklisted(api, person, person=True)
    masked = mask_resident_id(person)

    pending = api.get("/v1/notices", "finance").json["items"]
    ours = [n for n in pending if n["subject_id"] == masked]
    assert ours
    assert all(n["department_id"] == "finance" for n in ours)
    court = api.get("/v1/notices", "court").json["items"]
    assert any(n["subject_id"] == person for n in court)  # the court needs it in full

    def notices() -> list[MeasureNotified] | None:
        found = [
            n for n in api.harness.notices("finance", masked) if isinstance(n, MeasureNotified)
        ]
        return found or None

    notice = wait_for(notices, 60, "finance's notice")[0]
    answer = f.feedback(
        subject_id=notice.subject_id,
        subject_kind="NATURAL_PERSON",
        subject_name=notice.subject_name,
        notice_id=notice.notice_id,
        occurred_at=at(2024, 3, 5, 10),
    )
    api.harness.publish(answer)  # finance answers with the masked id it was given

    def relayed() -> list[FeedbackRelayed] | None:
        found = api.harness.notices("market-regulation", person)
        return [r for r in found if isinstance(r, FeedbackRelayed)] or None

    (relay,) = wait_for(relayed, 60, "the relay to the initiating department")
    assert relay.notice_id == notice.notice_id
    assert relay.subject_name == "李四"
    answered = api.get("/v1/notices", "finance", status="answered").json["items"]
    assert any(n["notice_id"] == notice.notice_id and n["feedback"] for n in answered)

    forged = f.feedback(
        subject_id="3212**********0000",
        subject_kind="NATURAL_PERSON",
        subject_name="李*",
        notice_id=notice.notice_id,
        occurred_at=at(2024, 3, 5, 10),
    )
    api.harness.publish(forged)  # a mask that does not fit the notice's subject
    letters = wait_for(lambda: _letters_about(api, str(forged.event_id)), 30, "its dead letter")
    assert letters[0].reason_code == "feedback.unknown_notice"


def test_dead_letters_of_persons_are_sealed_and_open_with_the_key(api: ApiPlatform) -> None:
    person = random_resident_id()
    api.persons.add(person)
    event = f.penalty(subject_id=person, subject_kind="NATURAL_PERSON", subject_name="王五")
    value = encode_model(event)
    settings: Settings = api.harness.settings
    producer = Producer(producer_config(settings, "test-wrong-key"))
    producer.produce(settings.topics.event("penalty"), value=value, key=b"not-the-subject")
    assert producer.flush(20) == 0

    (letter,) = wait_for(lambda: _letters_about(api, str(event.event_id)), 30, "the dead letter")
    assert letter.reason_code == "invalid.key"
    assert letter.subject_id == mask_resident_id(person)
    assert letter.sealed
    assert person.encode() not in (letter.original_value or b"")
    assert opened(letter, api.private_key).original_value == value  # nothing lost


def test_redis_down_is_a_json_503(api: ApiPlatform) -> None:
    env = {
        **api.harness.env,
        "CREDITFLOW_APP_ID": api.harness.env["CREDITFLOW_APP_ID"] + "-noredis",
        "CREDITFLOW_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "CREDITFLOW_WEB_PORT": str(free_port()),
        "CREDITFLOW_WORKER_ID": "noredis",
    }
    worker = WorkerProcess(env, "noredis", api.harness.tmp / "noredis.log")
    try:
        base = f"http://127.0.0.1:{worker.port}"
        wait_for(lambda: _answers(api, base), 60, "the worker's web server")
        answer = api.get(f"/v1/subjects/{random_uscc()}", base=base, purpose="行政审批")
        assert answer.status == 503, answer
        assert answer.json["error"]["code"] == "store_unavailable"
        assert "Traceback" not in answer.text
    finally:
        worker.stop()


def test_an_unacknowledged_audit_record_refuses_the_query() -> None:
    settings = Settings(kafka_bootstrap=f"127.0.0.1:{free_port()}", audit_timeout=1.0)
    audit = AuditLog.from_settings(settings)
    record = f.credit_check_audited()
    with pytest.raises(ApiError) as refused:
        asyncio.run(audit.record(record))
    assert (refused.value.status, refused.value.code) == (503, "audit_unavailable")


def test_cli_issues_tokens_and_checks_through_the_api(
    api: ApiPlatform, cli: RunCli, tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens.yaml"
    issued = cli(
        "token", "issue", "--department", "tax", env={"CREDITFLOW_API_TOKENS_FILE": str(tokens)}
    )
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    assert token.startswith("cft_")
    assert token not in tokens.read_text()
    assert token_hash(token) in tokens.read_text()

    subject = random_uscc()
    blacklisted(api, subject)
    env = {"CREDITFLOW_API_URL": api.base, "CREDITFLOW_API_TOKEN": api.tokens["finance"]}
    checked = cli("check", subject, "--purpose", "政府采购", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "泰州某某有限公司" in checked.stdout
    assert "B01" in checked.stdout
    explained = cli("check", subject, "--explain", env=env)
    assert explained.returncode == 0, explained.stderr
    assert "BLACK" in explained.stdout
    api.queries[("finance", subject, "subject")] += 1
    api.queries[("finance", subject, "explain")] += 1
    refused = cli("check", subject, env={**env, "CREDITFLOW_API_TOKEN": "cft_wrong"})
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "401" in refused.stderr


def test_worker_logs_hold_no_full_id_number(api: ApiPlatform) -> None:
    person = random_resident_id()
    blacklisted(api, person, person=True)
    assert api.check(person).status == 200  # the one place it is shown in full
    logs = sorted(api.harness.tmp.glob("*.log"))
    assert logs
    text = "\n".join(log.read_text(errors="replace") for log in logs)
    leaked = {p for p in api.persons if p in text}
    assert not leaked, (
        f"full ID numbers in the worker logs: {sorted(map(mask_resident_id, leaked))}"
    )
    for _key, raw, letter in read_topic(api.harness, api.harness.settings.topics.deadletter):
        assert not {p for p in api.persons if p.encode() in raw}, letter.reason_code


def test_every_subject_query_has_exactly_one_audit_record(api: ApiPlatform) -> None:
    subject = random_uscc()
    blacklisted(api, subject)
    api.check(subject, department="court", purpose="评优评先")
    api.check(random_uscc(), department="tax")
    topic = api.harness.settings.topics.audit

    def audited() -> Counter[tuple[str, str, str]] | None:
        records = [r for _, _, r in read_topic(api.harness, topic, 1.0)]
        assert all(isinstance(r, CreditCheckAudited) for r in records)
        counts = Counter((r.department_id, r.subject_id, r.endpoint) for r in records)
        return counts if counts == api.queries else None

    wait_for(audited, 30, f"one audit record for each of {sum(api.queries.values())} queries")
    records = [r for k, _, r in read_topic(api.harness, topic) if k == b"court"]
    mine = [r for r in records if r.subject_id == subject]
    assert [(r.purpose, r.found, r.black_list, r.http_status) for r in mine] == [
        ("评优评先", True, True, 200)
    ]


def _letters_about(api: ApiPlatform, event_id: str) -> list[DeadLettered] | None:
    """Dead letters of the input with ``event_id`` (opened with the operators' key)."""
    found = []
    for _key, raw, letter in read_topic(api.harness, api.harness.settings.topics.deadletter, 1):
        original = opened(letter, api.private_key).original_value
        if original and str(decode_event(original).event_id) == event_id:
            assert not {p for p in api.persons if p.encode() in raw}
            found.append(letter)
    return found or None


def _answers(api: ApiPlatform, base: str) -> bool:
    try:
        return api.get("/healthz", None, base=base).status == 200
    except OSError:
        return False
