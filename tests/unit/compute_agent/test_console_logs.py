"""The console logs the agent writes for guests of a hypervisor without a console."""

from compute_agent.virt import console


def test_tail_and_whole_log():
    logs = console.ConsoleLogs()
    logs.write("u1", ["a", "b", "c"])
    assert logs.tail("u1") == "a\nb\nc\n"
    assert logs.tail("u1", 2) == "b\nc\n"
    assert logs.tail("u1", 10) == "a\nb\nc\n"
    assert logs.tail("u1", 0) == ""
    assert logs.tail("other") == ""


def test_log_keeps_its_last_lines_and_is_forgotten():
    logs = console.ConsoleLogs(max_lines=3)
    logs.write("u1", [str(n) for n in range(5)])
    assert logs.tail("u1") == "2\n3\n4\n"
    logs.forget("u1")
    assert logs.tail("u1") == ""


def test_boot_lines_name_the_guest():
    lines = console.boot_lines("u1", "web", 2, 128)
    assert "uuid=u1" in lines[1]
    assert "Memory: 131072K" in lines[2]
    assert lines[-1] == "web login: "
