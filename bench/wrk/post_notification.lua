-- POST a notification-sized NGSI-LD Notification body (the webhook baseline of
-- bench/notifications.sh: what the bare receiver takes when nothing else is in the way).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":"urn:ngsi-ld:Notification:0000000000000001","type":"Notification",' ..
  '"subscriptionId":"urn:ngsi-ld:Subscription:bench","notifiedAt":"2025-11-23T10:00:00.000Z",' ..
  '"data":[{"id":"urn:ngsi-ld:AirQualityObserved:1","type":"AirQualityObserved",' ..
  '"pm25":{"type":"Property","value":1234.5,"unitCode":"GQ","observedAt":"2025-11-23T10:00:00Z"}}],' ..
  '"triggerReason":"attributeUpdated"}'
