/**
 * IAC-1 response wrapper for Python: the same protocol and guarantees as the Node.js wrapper
 * (`index.ts`), as Python source that `InlineCustomResource` puts in the function's
 * `Code.ZipFile`, followed by `USER_CODE = "<the user's function, as a string literal>"`.
 *
 * The user's code is compiled when a request arrives, inside the wrapper's error handling, so
 * even a syntax error in it is answered as FAILED instead of failing the module import (which
 * nothing would answer). It runs in a daemon thread the handler waits for until the remaining
 * time less RESPONSE_MARGIN_MS; a thread still running then is answered as timed out, and the
 * handler returns normally, so Lambda does not retry the invocation.
 * Tested by test/iac/handlers/inline-custom-resource-python.test.ts against a local HTTP server.
 */
export const PYTHON_WRAPPER = `import json, threading, time, traceback, urllib.parse, urllib.request

RESPONSE_MARGIN_MS = 10000
MAX_RESPONSE_BYTES = 4096
MAX_PHYSICAL_ID_BYTES = 1024
FAILED_CREATE_PREFIX = 'create-failed:'
SEND_ATTEMPTS = 3


def handler(event, context):
    print('request', json.dumps({k: v for k, v in event.items() if k != 'ResponseURL'}, default=str))
    if event['RequestType'] == 'Delete' and str(event.get('PhysicalResourceId', '')).startswith(FAILED_CREATE_PREFIX):
        response = _respond(event, 'SUCCESS', event['PhysicalResourceId'])
    else:
        response = _run(event, context)
    logged = dict(response, Data='(NoEcho)') if response['NoEcho'] else response
    print('response', json.dumps(logged, default=str))
    _send(event['ResponseURL'], json.dumps(response, default=str).encode('utf-8'))


def _run(event, context):
    budget = max(context.get_remaining_time_in_millis() - RESPONSE_MARGIN_MS, 0)
    outcome = {}

    def work():
        try:
            scope = {}
            exec(compile(USER_CODE, 'user_code', 'exec'), scope)
            outcome['result'] = scope['on_event'](event, context) or {}
        except BaseException as error:
            traceback.print_exc()
            outcome['error'] = '%s: %s' % (type(error).__name__, error)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(budget / 1000.0)
    if worker.is_alive():
        return _failed(event, context, "the code did not finish within %d ms (the function's timeout less %d ms to answer)" % (budget, RESPONSE_MARGIN_MS))
    if 'error' in outcome:
        return _failed(event, context, outcome['error'])
    return _succeeded(event, context, outcome['result'])


def _succeeded(event, context, result):
    if not isinstance(result, dict):
        return _failed(event, context, 'the code must return a dict or None')
    returned = result.get('PhysicalResourceId')
    if returned is not None and (not isinstance(returned, str) or not returned or len(returned.encode('utf-8')) > MAX_PHYSICAL_ID_BYTES or returned.startswith(FAILED_CREATE_PREFIX)):
        return _failed(event, context, 'PhysicalResourceId must be a non-empty string of at most %d bytes not starting with %s' % (MAX_PHYSICAL_ID_BYTES, FAILED_CREATE_PREFIX))
    data = result.get('Data')
    if data is not None and not isinstance(data, dict):
        return _failed(event, context, 'Data must be an object of names and values')
    if event['RequestType'] == 'Delete':
        physical_id = event['PhysicalResourceId']
    else:
        physical_id = returned or event.get('PhysicalResourceId') or '%s/%s' % (event['StackId'], event['LogicalResourceId'])
    response = _respond(event, 'SUCCESS', physical_id, data, result.get('NoEcho') is True)
    size = len(json.dumps(response, default=str).encode('utf-8'))
    if size > MAX_RESPONSE_BYTES:
        return _failed(event, context, "the response would be %d bytes, over CloudFormation's %d-byte limit: return less Data" % (size, MAX_RESPONSE_BYTES))
    return response


def _failed(event, context, message):
    physical_id = FAILED_CREATE_PREFIX + event['RequestId'] if event['RequestType'] == 'Create' else event['PhysicalResourceId']
    response = _respond(event, 'FAILED', physical_id)
    reason = '%s (log stream %s)' % (message, getattr(context, 'log_stream_name', 'unknown'))
    room = (MAX_RESPONSE_BYTES - len(json.dumps(response).encode('utf-8')) - 20) // 6
    response['Reason'] = reason if len(reason) <= room else reason[:max(room - 3, 0)] + '...'
    return response


def _respond(event, status, physical_id, data=None, no_echo=False):
    response = {'Status': status, 'PhysicalResourceId': physical_id, 'StackId': event['StackId'],
                'RequestId': event['RequestId'], 'LogicalResourceId': event['LogicalResourceId'], 'NoEcho': no_echo}
    if data is not None:
        response['Data'] = data
    return response


def _send(url, body):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != 'https' and not (parts.scheme == 'http' and parts.hostname in ('127.0.0.1', 'localhost')):
        raise ValueError('refusing to send the response to a %s URL' % parts.scheme)
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            request = urllib.request.Request(url, data=body, method='PUT', headers={'Content-Type': '', 'Content-Length': str(len(body))})
            with urllib.request.urlopen(request, timeout=3) as answer:
                answer.read()
            return
        except Exception as error:
            print('sending the response, attempt %d of %d: %s' % (attempt, SEND_ATTEMPTS, error))
            if attempt >= SEND_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
`;
