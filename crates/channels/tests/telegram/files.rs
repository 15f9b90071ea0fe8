//! `getFile` and capped downloads; photo and document uploads.

use pretty_assertions::assert_eq;
use rustyclaw_channels::telegram::{InputFile, SendMedia, TelegramError};
use rustyclaw_testkit::fake_telegram::{Encoding, FakeTelegram, Fault, FaultRule, Inbound};

use super::{alice, client, dm};

#[tokio::test]
async fn a_photo_a_user_sends_is_downloaded_within_the_cap() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    let alice = alice();
    let picture: Vec<u8> = (0..50_000u32).map(|n| (n % 251) as u8).collect();
    let file = telegram.add_file("cat.jpg", picture.clone());
    telegram.push_message(Inbound::photo(&dm(&alice), &alice, &file).with_caption("look"));
    let batch = api
        .get_updates(&rustyclaw_channels::telegram::GetUpdates {
            offset: None,
            limit: None,
            timeout: std::time::Duration::ZERO,
            allowed_updates: None,
        })
        .await
        .expect("poll");
    let message = batch[0].message().expect("message");
    assert_eq!(message.caption.as_deref(), Some("look"));
    let largest = message.largest_photo().expect("photo");
    assert_eq!(largest.file_id, file.file_id);

    let meta = api.get_file(&largest.file_id).await.expect("getFile");
    assert_eq!(meta.file_size, Some(picture.len() as u64));
    let path = meta.file_path.expect("path");
    let bytes = api
        .download_file(&path, 1024 * 1024)
        .await
        .expect("download");
    assert_eq!(bytes, picture);

    let error = api
        .download_file(&path, 10_000)
        .await
        .expect_err("over the cap");
    assert!(matches!(
        error,
        TelegramError::TooLarge {
            limit: 10_000,
            size_at_least: 50_000,
            ..
        }
    ));
    let mut sink = Vec::new();
    let error = api
        .download_file_to(&path, 49_999, &mut sink)
        .await
        .expect_err("over the cap");
    assert!(matches!(error, TelegramError::TooLarge { .. }));
    assert!(
        sink.is_empty(),
        "nothing is written once the length is known to be too big"
    );

    // Without a Content-Length the cap applies to the stream: the transfer stops just past it.
    telegram.script(FaultRule::next("file", Fault::Unsized));
    let mut sink = Vec::new();
    let error = api
        .download_file_to(&path, 20_000, &mut sink)
        .await
        .expect_err("over the cap");
    let TelegramError::TooLarge {
        limit: 20_000,
        size_at_least,
        ..
    } = error
    else {
        panic!("not a size error: {error:?}");
    };
    // Chunks are 4 KiB (a read may split one): the stream stops at the first that passes the cap.
    assert!(
        (20_001..=20_480).contains(&size_at_least),
        "{size_at_least}"
    );
    assert!(sink.len() <= 20_000, "nothing past the cap is written");
    telegram.script(FaultRule::next("file", Fault::Unsized));
    let streamed = api
        .download_file(&path, 50_000)
        .await
        .expect("exactly the cap");
    assert_eq!(streamed, picture);
    assert_eq!(telegram.calls_to("file").len(), 5);
}

#[tokio::test]
async fn a_photo_uploaded_from_a_path_is_a_multipart_call() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    let alice = alice();
    let chat = dm(&alice);
    telegram.add_chat(&chat);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chart.png");
    let content = b"\x89PNG\r\n\x1a\nfake image".to_vec();
    std::fs::write(&path, &content).expect("write");

    let mut photo = SendMedia::new(chat.id, InputFile::Path(path.clone()));
    photo.caption = Some("the chart".to_owned());
    photo.message_thread_id = Some(3);
    let sent = api.send_photo(&photo).await.expect("sendPhoto");
    assert_eq!(sent.caption.as_deref(), Some("the chart"));
    let uploaded = sent.largest_photo().expect("photo").file_id.clone();
    assert_eq!(
        telegram.file_bytes(&uploaded).as_deref(),
        Some(&content[..])
    );

    let call = &telegram.calls_to("sendPhoto")[0];
    assert_eq!(call.encoding, Encoding::Multipart);
    assert_eq!(call.int_param("chat_id"), Some(chat.id));
    assert_eq!(call.int_param("message_thread_id"), Some(3));
    assert_eq!(call.str_param("caption").as_deref(), Some("the chart"));
    assert_eq!(call.files.len(), 1);
    assert_eq!(call.files[0].field, "photo");
    assert_eq!(call.files[0].file_name.as_deref(), Some("chart.png"));
    assert_eq!(call.files[0].content_type.as_deref(), Some("image/png"));
    assert_eq!(call.files[0].bytes.as_ref(), &content[..]);

    // A document by URL is plain JSON.
    let by_url = SendMedia::new(
        chat.id,
        InputFile::Url("https://example.test/report.pdf".to_owned()),
    );
    let sent = api.send_document(&by_url).await.expect("sendDocument");
    assert!(sent.document.is_some());
    let call = &telegram.calls_to("sendDocument")[0];
    assert_eq!(call.encoding, Encoding::Json);
    assert_eq!(
        call.str_param("document").as_deref(),
        Some("https://example.test/report.pdf")
    );

    // A missing local file is an error naming the path, before any request.
    let missing = SendMedia::new(chat.id, InputFile::Path(dir.path().join("gone.png")));
    let error = api.send_photo(&missing).await.expect_err("no such file");
    assert!(matches!(error, TelegramError::ReadUpload { .. }));
    assert_eq!(telegram.calls_to("sendPhoto").len(), 1);
}
